import fs from 'node:fs';
import path from 'node:path';
import { CascadeError } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import type { DatasetInput, ParamValue, RunStart, RunStatus, Tracker } from '../../../core/tracker.js';
import { type MlflowClient, MlflowRequestError } from './client.js';
import { type DeletedExperimentAction, resolveExperimentId } from './experiment.js';
import {
  chunk,
  encodeMetricValue,
  MAX_DATASET_DIGEST_LENGTH,
  MAX_METRICS_PER_BATCH,
  MAX_PARAM_VALUE_LENGTH,
  MAX_PARAMS_TAGS_PER_BATCH,
  MAX_TAG_VALUE_LENGTH,
  toKeyValues,
} from './limits.js';
import { MetricQueue } from './metric-queue.js';
import { OutageReport } from './outage-report.js';
import type { KeyValue } from './rest-types.js';
import { type RetryPolicy, sleep } from './retry.js';
import { currentUser, readGitInfo } from './run-context.js';

/** Retries while opening a run: the run cannot start without the server, so it is worth a longer wait. */
const START_RETRY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 500, maxDelayMs: 8_000 };
/** Retries of one flush: short, because the next timer tick tries again and training must not wait. */
const FLUSH_RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 200, maxDelayMs: 1_000 };
/** Pause between flush attempts while `endRun` waits for an unreachable server. */
const END_RETRY_PAUSE_MS = 1_000;
const SPILL_FILE_NAME = 'mlflow-pending-metrics.jsonl';

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
  /** The resolved config, logged as flattened params and as an artifact when the run starts. */
  params?: Record<string, string>;
  resolvedConfig?: unknown;
  /** Recorded as `mlflow.source.name`: the experiment file or the script. */
  sourceName: string;
  /** Directory whose git commit and branch are recorded. */
  sourceDir: string;
  /** Set on child runs: the parent's run id and experiment id. */
  parent?: { runId: string; experimentId: string };
}

interface DeferredCall {
  label: string;
  send(retry?: RetryPolicy): Promise<void>;
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
  readonly #outage: OutageReport;
  #runId?: string;
  #experimentId?: string;
  /** Artifact root of the run relative to the server's artifact destination; undefined without `--serve-artifacts`. */
  #artifactRoot?: string;
  #queue?: MetricQueue;
  #timer?: NodeJS.Timeout;
  #flushing?: Promise<void>;
  #nextFlush?: Promise<void>;
  readonly #deferred: DeferredCall[] = [];
  readonly #children: MlflowTracker[] = [];
  #ending?: Promise<void>;
  #warnedAfterEnd = false;

  constructor(options: MlflowTrackerOptions) {
    this.#options = options;
    this.#client = options.client;
    this.#logger = options.logger;
    this.#outage = new OutageReport(options.logger, options.client.trackingUri);
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
    return this.#queue?.size ?? 0;
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
    this.#timer = setInterval(() => void this.#flush(), this.#options.flushIntervalMs);
    // The timer alone must not keep the process alive; endRun sends what is left.
    this.#timer.unref();
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
      await this.#sendOrDefer(`upload of config/resolved-config.json`, (retry) =>
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
    for (const batch of chunk(pairs, MAX_PARAMS_TAGS_PER_BATCH)) {
      await this.#sendOrDefer(`log-batch of ${batch.length} params`, (retry) =>
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
      await this.#sendOrDefer(`log-batch of ${batch.length} tags`, (retry) =>
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
    const queue = this.#queue!;
    const timestamp = Math.round(timestampMs);
    for (const [key, value] of Object.entries(metrics)) {
      queue.push({ key, value: encodeMetricValue(value), timestamp, step: Math.trunc(step) });
    }
    if (queue.size >= MAX_METRICS_PER_BATCH && !this.#outage.active) {
      void this.#flush();
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
      await this.#sendOrDefer(`upload of ${relative}`, (retry) => this.#client.uploadArtifact(file, target, retry));
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
    await this.#sendOrDefer(`log-inputs of dataset "${input.name}"`, (retry) =>
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
  flush(): Promise<void> {
    return this.#flush();
  }

  async #end(status: RunStatus): Promise<void> {
    const runId = this.#requireRun('endRun');
    await Promise.all(this.#children.map((child) => child.endRun(status)));
    clearInterval(this.#timer);

    const deadline = Date.now() + this.#options.endTimeoutMs;
    await this.#flush();
    while (this.#hasPending() && Date.now() < deadline) {
      await sleep(END_RETRY_PAUSE_MS);
      await this.#flush();
    }

    let ended = false;
    if (!this.#hasPending()) {
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
    } else if (this.#hasPending()) {
      // NOTE: nothing resends these later; the spill file is kept for inspection only.
      this.#logger.error(
        `mlflow: gave up reaching ${this.#client.trackingUri} after ${this.#options.endTimeoutMs} ms: ` +
          `run ${runId} stays RUNNING with ${this.pendingMetrics} metric(s) and ${this.#deferred.length} other call(s) unsent` +
          `${this.#queue && this.#queue.spilledTotal > 0 ? ` (spill file ${this.#queue.spillFile})` : ''}.`,
      );
    }
    if (!this.#options.parent) {
      await this.#client.close();
    }
  }

  #hasPending(): boolean {
    return this.#deferred.length > 0 || this.pendingMetrics > 0;
  }

  /**
   * Runs one flush at a time. A call during a flush returns a second flush that starts when the
   * first ends, and later calls share that second one, so timer ticks do not pile up in an outage.
   */
  #flush(): Promise<void> {
    if (!this.#flushing) {
      this.#flushing = this.#flushOnce().finally(() => {
        this.#flushing = undefined;
      });
      return this.#flushing;
    }
    this.#nextFlush ??= this.#flushing.then(() => {
      this.#nextFlush = undefined;
      return this.#flush();
    });
    return this.#nextFlush;
  }

  async #flushOnce(): Promise<void> {
    try {
      await this.#sendPending();
    } catch (error) {
      // Only local failures land here (the spill file), because #attempt handles request errors.
      this.#logger.error(`mlflow: flush for run ${this.#runId} failed: ${(error as Error).message}`);
    }
  }

  async #sendPending(): Promise<void> {
    const runId = this.#runId;
    const queue = this.#queue;
    if (!runId || !queue) {
      return;
    }

    while (this.#deferred.length > 0) {
      const call = this.#deferred[0]!;
      if (!(await this.#attempt(call, FLUSH_RETRY))) {
        return;
      }
      this.#deferred.shift();
    }

    while (queue.size > 0) {
      const batch = queue.peek(MAX_METRICS_PER_BATCH);
      const call: DeferredCall = {
        label: `log-batch of ${batch.length} metrics`,
        send: (retry) => this.#client.logBatch(runId, { metrics: batch }, retry),
      };
      if (!(await this.#attempt(call, FLUSH_RETRY))) {
        return;
      }
      queue.drop(batch.length);
      this.#outage.sent(batch.length);
    }
    this.#outage.recovered();
  }

  /**
   * Sends one call. Returns true when it is done (sent, or rejected for good and reported) and
   * false when the server is unreachable and the call must wait.
   */
  async #attempt(call: DeferredCall, retry?: RetryPolicy): Promise<boolean> {
    try {
      await call.send(retry);
      return true;
    } catch (error) {
      if (error instanceof MlflowRequestError && error.transient) {
        this.#outage.failed(error, this.pendingMetrics, this.#queue?.spillFile);
        return false;
      }
      // A rejected request would be rejected again; dropping it keeps later data flowing.
      this.#logger.error(
        `mlflow: ${call.label} for run ${this.#runId} was rejected and dropped: ${(error as Error).message}`,
      );
      return true;
    }
  }

  /** Sends a call now, or queues it behind earlier ones while the server is unreachable. */
  async #sendOrDefer(label: string, send: (retry?: RetryPolicy) => Promise<void>): Promise<void> {
    const call: DeferredCall = { label, send };
    if (this.#deferred.length > 0 || this.#outage.active) {
      this.#deferred.push(call);
      return;
    }
    if (!(await this.#attempt(call))) {
      this.#deferred.push(call);
    }
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

/**
 * Returns the run's artifact root as a path under the server's `mlflow-artifacts` proxy
 * (`mlflow-artifacts:/1/<run id>/artifacts` becomes `1/<run id>/artifacts`), or undefined for any
 * other scheme, which only the server's file system or a cloud SDK can write to.
 */
export function artifactRootOf(artifactUri: string | undefined): string | undefined {
  if (!artifactUri) {
    return undefined;
  }
  const match = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/.exec(artifactUri);
  return match ? trimSlashes(match[1]!) : undefined;
}

function trimSlashes(value: string): string {
  return value.replace(/^\/+|\/+$/g, '');
}

/** Lists a file, or every file under a directory, with paths relative to the directory's parent. */
function listFiles(localPath: string): Array<{ file: string; relative: string }> {
  const base = path.basename(localPath);
  if (!fs.statSync(localPath).isDirectory()) {
    return [{ file: localPath, relative: base }];
  }
  const files: Array<{ file: string; relative: string }> = [];
  for (const entry of fs.readdirSync(localPath, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) {
      const file = path.join(entry.parentPath, entry.name);
      files.push({ file, relative: path.posix.join(base, ...path.relative(localPath, file).split(path.sep)) });
    }
  }
  return files.sort((a, b) => a.relative.localeCompare(b.relative));
}
