import fs from 'node:fs';
import path from 'node:path';
import { CascadeError } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import type { DatasetInput, ParamValue, RunStart, RunStatus, Tracker } from '../../../core/tracker.js';
import { artifactRootOf, listFiles, trimSlashes } from './artifact-paths.js';
import { type MlflowClient, MlflowRequestError } from './client.js';
import { type DeletedExperimentAction, resolveExperimentId } from './experiment.js';
import {
  chunk,
  encodeMetricValue,
  invalidKeyReason,
  MAX_DATASET_DIGEST_LENGTH,
  MAX_PARAM_VALUE_LENGTH,
  MAX_PARAMS_TAGS_PER_BATCH,
  MAX_TAG_VALUE_LENGTH,
  toKeyValues,
} from './limits.js';
import { MetricQueue } from './metric-queue.js';
import type { KeyValue } from './rest-types.js';
import type { RetryPolicy } from './retry.js';
import { currentUser, readGitInfo } from './run-context.js';
import { RunSender } from './run-sender.js';

/** Retries while opening a run: the run cannot start without the server, so it is worth a longer wait. */
const START_RETRY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 500, maxDelayMs: 8_000 };
const SPILL_FILE_NAME = 'mlflow-pending-metrics.jsonl';
const UNSENT_FILE_NAME = 'mlflow-unsent-metrics.jsonl';

export interface MlflowTrackerOptions {
  client: MlflowClient;
  logger: Logger;
  /** Experiment name; `RunStart.experiment` when unset. */
  experiment?: string;
  /** Buffered metrics are sent this often, and whenever a full batch of 1,000 is waiting. */
  flushIntervalMs: number;
  /** Metrics kept in memory while the server is unreachable; the rest go to a spill file in the run directory. */
  maxBufferedMetrics: number;
  /** How long `endRun` keeps trying to reach the server before it gives up. */
  endTimeoutMs: number;
  deletedExperiment: DeletedExperimentAction;
  /** Flattened resolved config, logged as params when the run starts. */
  params?: Record<string, string>;
  /** Resolved config, uploaded as `config/resolved-config.json` when the run starts. */
  resolvedConfig?: unknown;
  /** Recorded as `mlflow.source.name`: the experiment file or the script. */
  sourceName: string;
  /** Directory whose git commit and branch are recorded. */
  sourceDir: string;
  /** Set on child runs: the parent's run id and experiment id. */
  parent?: { runId: string; experimentId: string };
}

/**
 * A tracker that logs to an MLflow tracking server over its REST API. Metrics are buffered and
 * sent in batches on a timer. While the server is unreachable, metrics and other calls wait in
 * order, metrics spill to a file past a bound, and training goes on. `endRun` waits for the server
 * up to `endTimeoutMs`.
 */
export class MlflowTracker implements Tracker {
  readonly name = 'mlflow';
  readonly #options: MlflowTrackerOptions;
  readonly #client: MlflowClient;
  readonly #logger: Logger;
  #runId?: string;
  #experimentId?: string;
  /** Artifact root of the run relative to the server's artifact destination; undefined without `--serve-artifacts`. */
  #artifactRoot?: string;
  #queue?: MetricQueue;
  #sender?: RunSender;
  readonly #children: MlflowTracker[] = [];
  #ending?: Promise<void>;
  #warnedAfterEnd = false;
  /** Metric keys already reported as invalid, so each is reported once. */
  readonly #rejectedMetricKeys = new Set<string>();
  /** Param values already sent, by key, because the training loop logs again the config that `startRun` logged. */
  readonly #sentParams = new Map<string, string>();

  constructor(options: MlflowTrackerOptions) {
    this.#options = options;
    this.#client = options.client;
    this.#logger = options.logger;
  }

  /** MLflow's id of the open run; undefined before `startRun`. */
  get runId(): string | undefined {
    return this.#runId;
  }

  get experimentId(): string | undefined {
    return this.#experimentId;
  }

  /** Metrics logged and not yet accepted by the server. */
  get pendingMetrics(): number {
    return this.#sender?.pendingMetrics ?? 0;
  }

  async startRun(run: RunStart): Promise<void> {
    if (this.#runId) {
      throw new CascadeError(`The mlflow tracker already has run ${this.#runId} open; create one tracker per run.`);
    }
    const experimentName = this.#options.experiment ?? run.experiment;
    const experimentId =
      this.#options.parent?.experimentId ??
      (await resolveExperimentId(this.#client, experimentName, {
        onDeleted: this.#options.deletedExperiment,
        logger: this.#logger,
        retry: START_RETRY,
      }));

    const info = await this.#client.createRun(
      {
        experimentId,
        runName: run.runName,
        userId: currentUser(),
        startTime: Date.now(),
        tags: this.#startTags(run),
      },
      START_RETRY,
    );
    this.#runId = info.run_id;
    this.#experimentId = experimentId;
    this.#artifactRoot = artifactRootOf(info.artifact_uri);
    this.#queue = new MetricQueue({
      maxInMemory: this.#options.maxBufferedMetrics,
      spillFile: path.join(run.runDir, SPILL_FILE_NAME),
    });
    this.#sender = new RunSender({
      client: this.#client,
      logger: this.#logger,
      runId: info.run_id,
      queue: this.#queue,
      flushIntervalMs: this.#options.flushIntervalMs,
    });
    this.#logger.info(
      `mlflow: run "${run.runName}" (${info.run_id}) in ${this.#client.trackingUri}/#/experiments/${experimentId}/runs/${info.run_id}`,
    );

    if (this.#artifactRoot === undefined) {
      this.#logger.warn(
        `mlflow: run ${info.run_id} has artifact URI "${info.artifact_uri}", which the REST API cannot upload to; ` +
          'artifacts are skipped. Start the server with --serve-artifacts so that artifacts go through the mlflow-artifacts proxy.',
      );
    }
    if (this.#options.params) {
      await this.logParams(this.#options.params);
    }
    if (this.#options.resolvedConfig !== undefined && this.#artifactRoot !== undefined) {
      const json = Buffer.from(`${JSON.stringify(this.#options.resolvedConfig, null, 2)}\n`);
      const target = `${this.#artifactRoot}/config/resolved-config.json`;
      await this.#sender!.send(`upload of config/resolved-config.json`, (retry) =>
        this.#client.uploadArtifactBytes(json, target, retry),
      );
    }
  }

  async logParams(params: Record<string, ParamValue>): Promise<void> {
    const runId = this.#requireRun('logParams');
    const pairs = toKeyValues(params, {
      what: 'param',
      maxValueLength: MAX_PARAM_VALUE_LENGTH,
      secrets: this.#client.secrets,
      logger: this.#logger,
    });
    // A value sent before is skipped. A changed value is still sent, and MLflow rejects it.
    const unsent = pairs.filter((pair) => this.#sentParams.get(pair.key) !== pair.value);
    for (const pair of unsent) {
      this.#sentParams.set(pair.key, pair.value);
    }
    for (const batch of chunk(unsent, MAX_PARAMS_TAGS_PER_BATCH)) {
      await this.#sender!.send(`log-batch of ${batch.length} params`, (retry) =>
        this.#client.logBatch(runId, { params: batch }, retry),
      );
    }
  }

  async setTags(tags: Record<string, string>): Promise<void> {
    const runId = this.#requireRun('setTags');
    const pairs = toKeyValues(tags, {
      what: 'tag',
      maxValueLength: MAX_TAG_VALUE_LENGTH,
      secrets: this.#client.secrets,
      logger: this.#logger,
    });
    for (const batch of chunk(pairs, MAX_PARAMS_TAGS_PER_BATCH)) {
      await this.#sender!.send(`log-batch of ${batch.length} tags`, (retry) =>
        this.#client.logBatch(runId, { tags: batch }, retry),
      );
    }
  }

  logMetrics(metrics: Record<string, number>, step: number, timestampMs: number = Date.now()): void {
    this.#requireRun('logMetrics');
    if (this.#ending) {
      if (!this.#warnedAfterEnd) {
        this.#warnedAfterEnd = true;
        this.#logger.warn(`mlflow: metrics logged after run ${this.#runId} ended are dropped (step ${step}).`);
      }
      return;
    }
    const sender = this.#sender!;
    const timestamp = Math.round(timestampMs);
    for (const [key, value] of Object.entries(metrics)) {
      const reason = typeof value === 'number' ? invalidKeyReason(key) : `value ${String(value)} is not a number`;
      if (reason) {
        this.#reportRejectedMetric(key, reason);
        continue;
      }
      sender.pushMetric({ key, value: encodeMetricValue(value), timestamp, step: Math.trunc(step) });
    }
  }

  async logArtifact(localPath: string, artifactPath?: string): Promise<void> {
    this.#requireRun('logArtifact');
    const root = this.#artifactRoot;
    if (root === undefined) {
      return;
    }
    if (!fs.existsSync(localPath)) {
      this.#logger.warn(`mlflow: artifact ${localPath} not found; nothing uploaded for run ${this.#runId}.`);
      return;
    }
    const prefix = [root, ...(artifactPath ? [trimSlashes(artifactPath)] : [])].join('/');
    for (const { file, relative } of listFiles(localPath)) {
      const target = `${prefix}/${relative}`;
      await this.#sender!.send(`upload of ${relative}`, (retry) => this.#client.uploadArtifact(file, target, retry));
    }
  }

  async logInput(input: DatasetInput): Promise<void> {
    const runId = this.#requireRun('logInput');
    const tags: KeyValue[] = [{ key: 'mlflow.data.context', value: 'training' }];
    let digest = input.digest;
    if (digest.length > MAX_DATASET_DIGEST_LENGTH) {
      // MLflow stores at most 36 characters of a dataset digest; the input tag keeps the whole one.
      tags.push({ key: 'cascade.digest', value: digest });
      digest = digest.slice(0, MAX_DATASET_DIGEST_LENGTH);
    }
    const dataset = {
      name: input.name,
      digest,
      source_type: input.sourceType,
      source: input.source,
      ...(input.schema === undefined ? {} : { schema: input.schema }),
      ...(input.profile === undefined ? {} : { profile: input.profile }),
    };
    await this.#sender!.send(`log-inputs of dataset "${input.name}"`, (retry) =>
      this.#client.logInputs(runId, [{ tags, dataset }], retry),
    );
  }

  async startChild(run: RunStart): Promise<Tracker> {
    const runId = this.#requireRun('startChild');
    const child = new MlflowTracker({
      ...this.#options,
      params: undefined,
      resolvedConfig: undefined,
      parent: { runId, experimentId: this.#experimentId! },
    });
    await child.startRun({ ...run, tags: { ...run.tags, 'mlflow.parentRunId': runId } });
    this.#children.push(child);
    return child;
  }

  /**
   * Ends open child runs with the same status, sends every buffered metric and call, and sets the
   * final status. Only the first call has an effect, so a signal handler can end a run as KILLED
   * before the training loop ends it as FINISHED.
   */
  endRun(status: RunStatus): Promise<void> {
    this.#ending ??= this.#end(status);
    return this.#ending;
  }

  /** Sends buffered metrics and deferred calls now; resolves when this flush has finished. */
  async flush(): Promise<void> {
    await this.#sender?.flush();
  }

  async #end(status: RunStatus): Promise<void> {
    const runId = this.#runId;
    if (!runId) {
      // startRun failed or never ran; a training loop still ends every tracker in its cleanup.
      if (!this.#options.parent) {
        await this.#client.close();
      }
      return;
    }
    await Promise.all(this.#children.map((child) => child.endRun(status)));

    const deadline = Date.now() + this.#options.endTimeoutMs;
    const sender = this.#sender!;
    const sent = await sender.drain(deadline);
    let ended = false;
    if (sent) {
      while (!ended) {
        try {
          await this.#client.updateRun(runId, status, Date.now(), START_RETRY);
          ended = true;
        } catch (error) {
          if (!(error instanceof MlflowRequestError && error.transient) || Date.now() >= deadline) {
            this.#logger.error(`mlflow: failed to set status ${status} on run ${runId}: ${(error as Error).message}`);
            break;
          }
        }
      }
    }

    if (ended) {
      this.#queue?.removeSpillFile();
      this.#logger.debug(`mlflow: run ${runId} ended as ${status}`);
    } else if (!sent) {
      const unsentMetrics = sender.pendingMetrics;
      const unsentFile = path.join(path.dirname(this.#queue!.spillFile), UNSENT_FILE_NAME);
      this.#queue!.saveUnsent(unsentFile);
      // NOTE: nothing resends the saved metrics later; the file keeps them for inspection or a manual upload.
      this.#logger.error(
        `mlflow: gave up reaching ${this.#client.trackingUri} after ${this.#options.endTimeoutMs} ms: ` +
          `run ${runId} stays RUNNING. ${unsentMetrics} unsent metric(s) are saved in ${unsentFile}, ` +
          `and ${sender.pendingCalls} other call(s) (params, tags, inputs, uploads) are lost.`,
      );
    }
    if (!this.#options.parent) {
      await this.#client.close();
    }
  }

  #reportRejectedMetric(key: string, reason: string): void {
    if (this.#rejectedMetricKeys.has(key)) {
      return;
    }
    this.#rejectedMetricKeys.add(key);
    this.#logger.warn(
      `mlflow: metric "${key}" is not sent to run ${this.#runId} because MLflow would reject it: ${reason}.`,
    );
  }

  #requireRun(method: string): string {
    if (!this.#runId) {
      throw new CascadeError(`mlflow tracker: ${method} was called before startRun.`);
    }
    return this.#runId;
  }

  #startTags(run: RunStart): KeyValue[] {
    const tags: Record<string, string> = {
      'mlflow.runName': run.runName,
      'mlflow.user': currentUser(),
      'mlflow.source.name': this.#options.sourceName,
      'mlflow.source.type': 'LOCAL',
    };
    const git = readGitInfo(this.#options.sourceDir);
    if (git) {
      tags['mlflow.source.git.commit'] = git.commit;
      if (git.branch) {
        tags['mlflow.source.git.branch'] = git.branch;
      }
    }
    return toKeyValues(
      { ...tags, ...run.tags },
      { what: 'tag', maxValueLength: MAX_TAG_VALUE_LENGTH, secrets: this.#client.secrets, logger: this.#logger },
    );
  }
}
