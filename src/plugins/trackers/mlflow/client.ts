import fs from 'node:fs';
import { CascadeError } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import { type Credentials, redactUri } from './credentials.js';
import { HttpTransport, MlflowRequestError } from './http-transport.js';
import type {
  DatasetInputMessage,
  Experiment,
  KeyValue,
  Metric,
  Run,
  RunInfo,
  SearchRunsRequest,
  SearchRunsResponse,
} from './rest-types.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.js';

export { MlflowRequestError } from './http-transport.js';

export interface MlflowClientOptions {
  /** Base URL of the tracking server, such as `http://127.0.0.1:5000`. */
  trackingUri: string;
  credentials: Credentials;
  /** PEM file with the CA certificates that sign the server's TLS certificate. */
  caFile?: string;
  logger: Logger;
  retry?: RetryPolicy;
}

interface CallOptions {
  query?: Record<string, string>;
  body?: unknown;
  retry?: RetryPolicy;
}

/** A client for MLflow's REST API and its `mlflow-artifacts` proxy, with retries and authentication. */
export class MlflowClient {
  /** The tracking URI without any user name or password, safe to print. */
  readonly trackingUri: string;
  readonly #baseUrl: string;
  readonly #secrets: string[];
  readonly #transport: HttpTransport;

  constructor(options: MlflowClientOptions) {
    let url: URL;
    try {
      url = new URL(options.trackingUri);
    } catch (error) {
      throw new CascadeError(
        `Invalid MLflow tracking URI "${redactUri(options.trackingUri)}": expected an http or https URL such as http://127.0.0.1:5000.`,
        { cause: error },
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new CascadeError(
        `Unsupported MLflow tracking URI "${redactUri(options.trackingUri)}": the mlflow tracker speaks REST, so the URI must start with http:// or https://.`,
      );
    }

    let { authorization } = options.credentials;
    const secrets = [...options.credentials.secrets];
    if (url.username !== '' || url.password !== '') {
      // A user name and password written into the URI act as basic auth unless the environment sets credentials.
      const user = decodeURIComponent(url.username);
      const password = decodeURIComponent(url.password);
      const encoded = Buffer.from(`${user}:${password}`).toString('base64');
      authorization ??= `Basic ${encoded}`;
      secrets.push(...[password, url.password, encoded].filter((secret) => secret !== ''));
      url.username = '';
      url.password = '';
    }

    this.#baseUrl = url.toString().replace(/\/+$/, '');
    this.trackingUri = this.#baseUrl;
    this.#secrets = secrets;
    this.#transport = new HttpTransport({
      trackingUri: this.trackingUri,
      authorization,
      secrets,
      caFile: options.caFile,
      logger: options.logger,
      retry: options.retry ?? DEFAULT_RETRY_POLICY,
    });
  }

  /** Secret strings (token, password) that callers must keep out of logs, params and tags. */
  get secrets(): readonly string[] {
    return this.#secrets;
  }

  /** Returns the experiment with this name, active or deleted, or undefined when none exists. */
  async getExperimentByName(name: string, retry?: RetryPolicy): Promise<Experiment | undefined> {
    try {
      const response = await this.#call<{ experiment: Experiment }>('GET', 'experiments/get-by-name', {
        query: { experiment_name: name },
        retry,
      });
      return response.experiment;
    } catch (error) {
      if (error instanceof MlflowRequestError && error.errorCode === 'RESOURCE_DOES_NOT_EXIST') {
        return undefined;
      }
      throw error;
    }
  }

  /** Creates an experiment and returns its id; fails with `RESOURCE_ALREADY_EXISTS` if the name is taken. */
  async createExperiment(name: string, retry?: RetryPolicy): Promise<string> {
    const response = await this.#call<{ experiment_id: string }>('POST', 'experiments/create', {
      body: { name },
      retry,
    });
    return response.experiment_id;
  }

  async restoreExperiment(experimentId: string, retry?: RetryPolicy): Promise<void> {
    await this.#call('POST', 'experiments/restore', { body: { experiment_id: experimentId }, retry });
  }

  async createRun(
    run: { experimentId: string; runName: string; userId: string; startTime: number; tags: KeyValue[] },
    retry?: RetryPolicy,
  ): Promise<RunInfo> {
    const response = await this.#call<{ run: Run }>('POST', 'runs/create', {
      body: {
        experiment_id: run.experimentId,
        run_name: run.runName,
        user_id: run.userId,
        start_time: run.startTime,
        tags: run.tags,
      },
      retry,
    });
    return response.run.info;
  }

  async updateRun(runId: string, status: string, endTime: number, retry?: RetryPolicy): Promise<void> {
    await this.#call('POST', 'runs/update', { body: { run_id: runId, status, end_time: endTime }, retry });
  }

  /** Sends one log-batch request; the caller keeps it within MLflow's per-request limits. */
  async logBatch(
    runId: string,
    batch: { metrics?: Metric[]; params?: KeyValue[]; tags?: KeyValue[] },
    retry?: RetryPolicy,
  ): Promise<void> {
    await this.#call('POST', 'runs/log-batch', { body: { run_id: runId, ...batch }, retry });
  }

  async logInputs(runId: string, datasets: DatasetInputMessage[], retry?: RetryPolicy): Promise<void> {
    await this.#call('POST', 'runs/log-inputs', { body: { run_id: runId, datasets }, retry });
  }

  async getRun(runId: string): Promise<Run> {
    const response = await this.#call<{ run: Run }>('GET', 'runs/get', { query: { run_id: runId } });
    return response.run;
  }

  async searchRuns(search: SearchRunsRequest): Promise<SearchRunsResponse> {
    return this.#call<SearchRunsResponse>('POST', 'runs/search', { body: search });
  }

  /** Returns every value of one metric of a run, following the pages. */
  async getMetricHistory(runId: string, key: string): Promise<Metric[]> {
    const metrics: Metric[] = [];
    let pageToken: string | undefined;
    do {
      const query: Record<string, string> = { run_id: runId, metric_key: key, max_results: '25000' };
      if (pageToken) {
        query.page_token = pageToken;
      }
      const page = await this.#call<{ metrics?: Metric[]; next_page_token?: string }>('GET', 'metrics/get-history', {
        query,
      });
      metrics.push(...(page.metrics ?? []));
      pageToken = page.next_page_token;
    } while (pageToken);
    return metrics;
  }

  /**
   * Uploads a local file as a stream to the `mlflow-artifacts` proxy. `artifactPath` is relative to
   * the artifact root of the server (`<experiment id>/<run id>/artifacts/<path>`).
   */
  async uploadArtifact(localPath: string, artifactPath: string, retry?: RetryPolicy): Promise<void> {
    const size = fs.statSync(localPath).size;
    await this.#transport.send('PUT', this.#artifactUrl(artifactPath), {
      label: `PUT mlflow-artifacts/${artifactPath}`,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
      // A new stream per attempt: a retried upload starts from the first byte.
      body: () => fs.createReadStream(localPath),
      retry,
    });
  }

  /** Uploads bytes held in memory as an artifact, like `uploadArtifact`. */
  async uploadArtifactBytes(bytes: Buffer, artifactPath: string, retry?: RetryPolicy): Promise<void> {
    await this.#transport.send('PUT', this.#artifactUrl(artifactPath), {
      label: `PUT mlflow-artifacts/${artifactPath}`,
      headers: { 'content-type': 'application/octet-stream' },
      body: () => bytes,
      retry,
    });
  }

  /** Downloads an artifact from the `mlflow-artifacts` proxy. */
  async downloadArtifact(artifactPath: string): Promise<Buffer> {
    return this.#transport.send('GET', this.#artifactUrl(artifactPath), {
      label: `GET mlflow-artifacts/${artifactPath}`,
    });
  }

  /** Closes the connection pool; the client cannot send after this. */
  async close(): Promise<void> {
    await this.#transport.close();
  }

  #artifactUrl(artifactPath: string): string {
    const encoded = artifactPath
      .split('/')
      .filter((segment) => segment !== '')
      .map(encodeURIComponent)
      .join('/');
    return `${this.#baseUrl}/api/2.0/mlflow-artifacts/artifacts/${encoded}`;
  }

  async #call<T>(method: 'GET' | 'POST', endpoint: string, options: CallOptions = {}): Promise<T> {
    const query = options.query ? `?${new URLSearchParams(options.query).toString()}` : '';
    const url = `${this.#baseUrl}/api/2.0/mlflow/${endpoint}${query}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    let body: (() => string) | undefined;
    if (options.body !== undefined) {
      const json = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
      body = () => json;
    }
    const data = await this.#transport.send(method, url, {
      label: `${method} ${endpoint}`,
      headers,
      body,
      retry: options.retry,
    });
    if (data.length === 0) {
      return {} as T;
    }
    return JSON.parse(data.toString('utf8')) as T;
  }
}
