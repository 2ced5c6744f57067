import type { Logger } from '../../../core/logger.js';
import { type MlflowClient, MlflowRequestError } from './client.js';
import { MAX_METRICS_PER_BATCH } from './limits.js';
import type { MetricQueue } from './metric-queue.js';
import { OutageReport } from './outage-report.js';
import type { Metric } from './rest-types.js';
import { type RetryPolicy, sleep } from './retry.js';

/** Retries of one flush: short, because the next timer tick tries again and training must not wait. */
const FLUSH_RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 200, maxDelayMs: 1_000 };
/** Pause between flush attempts while a run's end waits for an unreachable server. */
const DRAIN_RETRY_PAUSE_MS = 1_000;

/** A request for one run, kept to be sent again while the server is unreachable. */
interface PendingCall {
  label: string;
  send(retry?: RetryPolicy): Promise<void>;
}

export interface RunSenderOptions {
  client: MlflowClient;
  logger: Logger;
  runId: string;
  queue: MetricQueue;
  flushIntervalMs: number;
}

/**
 * Sends one run's data in order: calls such as params and uploads first, then buffered metrics in
 * batches of at most 1,000, on a timer and whenever a full batch waits. While the server is
 * unreachable, calls wait in a list and metrics in the queue. Metrics never wait for the server.
 * NOTE: a call that meets the start of an outage waits through its own retries (under 4 s of
 * backoff when the connection is refused, up to 30 s per attempt when the server hangs).
 * Calls after that are queued at once.
 */
export class RunSender {
  readonly #client: MlflowClient;
  readonly #logger: Logger;
  readonly #runId: string;
  readonly #queue: MetricQueue;
  readonly #outage: OutageReport;
  readonly #pending: PendingCall[] = [];
  readonly #timer: NodeJS.Timeout;
  #flushing?: Promise<void>;
  #nextFlush?: Promise<void>;

  constructor(options: RunSenderOptions) {
    this.#client = options.client;
    this.#logger = options.logger;
    this.#runId = options.runId;
    this.#queue = options.queue;
    this.#outage = new OutageReport(options.logger, options.client.trackingUri);
    this.#timer = setInterval(() => void this.flush(), options.flushIntervalMs);
    // The timer alone must not keep the process alive, because the run's end sends what is left.
    this.#timer.unref();
  }

  /** Metrics logged and not yet accepted by the server. */
  get pendingMetrics(): number {
    return this.#queue.size;
  }

  /** Calls other than metrics that wait for the server. */
  get pendingCalls(): number {
    return this.#pending.length;
  }

  pushMetric(metric: Metric): void {
    this.#queue.push(metric);
    if (this.#queue.size >= MAX_METRICS_PER_BATCH && !this.#outage.active) {
      void this.flush();
    }
  }

  /** Sends a call now, or queues it behind earlier ones while the server is unreachable. */
  async send(label: string, send: (retry?: RetryPolicy) => Promise<void>): Promise<void> {
    const call: PendingCall = { label, send };
    if (this.#pending.length > 0 || this.#outage.active) {
      this.#pending.push(call);
      return;
    }
    if (!(await this.#attempt(call))) {
      this.#pending.push(call);
    }
  }

  /**
   * Sends waiting calls and metrics. One flush runs at a time: a call during a flush returns a
   * second flush that starts when the first ends, and later calls share that second one, so timer
   * ticks do not pile up during an outage.
   */
  flush(): Promise<void> {
    if (!this.#flushing) {
      this.#flushing = this.#flushOnce().finally(() => {
        this.#flushing = undefined;
      });
      return this.#flushing;
    }
    this.#nextFlush ??= this.#flushing.then(() => {
      this.#nextFlush = undefined;
      return this.flush();
    });
    return this.#nextFlush;
  }

  /** Stops the timer and flushes until nothing waits or `deadlineMs` passes; returns true when all was sent. */
  async drain(deadlineMs: number): Promise<boolean> {
    clearInterval(this.#timer);
    await this.flush();
    while (this.#hasPending() && Date.now() < deadlineMs) {
      await sleep(DRAIN_RETRY_PAUSE_MS);
      await this.flush();
    }
    return !this.#hasPending();
  }

  #hasPending(): boolean {
    return this.#pending.length > 0 || this.#queue.size > 0;
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
    while (this.#pending.length > 0) {
      if (!(await this.#attempt(this.#pending[0]!, FLUSH_RETRY))) {
        return;
      }
      this.#pending.shift();
    }

    while (this.#queue.size > 0) {
      const batch = this.#queue.peek(MAX_METRICS_PER_BATCH);
      const call: PendingCall = {
        label: `log-batch of ${batch.length} metrics`,
        send: (retry) => this.#client.logBatch(this.#runId, { metrics: batch }, retry),
      };
      if (!(await this.#attempt(call, FLUSH_RETRY))) {
        return;
      }
      this.#queue.drop(batch.length);
      this.#outage.sent(batch.length);
    }
    this.#outage.recovered();
  }

  /**
   * Sends one call. Returns true when it is done (sent, or rejected for good and reported) and
   * false when the server is unreachable and the call must wait.
   */
  async #attempt(call: PendingCall, retry?: RetryPolicy): Promise<boolean> {
    try {
      await call.send(retry);
      return true;
    } catch (error) {
      if (error instanceof MlflowRequestError && error.transient) {
        this.#outage.failed(error, this.#queue.size, this.#queue.spillFile);
        return false;
      }
      // A rejected request would be rejected again, and dropping it keeps later data flowing.
      this.#logger.error(
        `mlflow: ${call.label} for run ${this.#runId} was rejected and dropped: ${(error as Error).message}`,
      );
      return true;
    }
  }
}
