import type { Logger } from '../../../core/logger.js';

// While the server stays unreachable, a reminder is logged at most this often.
const REMINDER_INTERVAL_MS = 60_000;

/**
 * Logs an outage of the tracking server once when it starts, as a reminder at most once a minute,
 * and once when the server responds again, instead of one line per failed request.
 */
export class OutageReport {
  readonly #logger: Logger;
  readonly #trackingUri: string;
  #since?: number;
  #lastReminder = 0;
  #sentSince = 0;

  constructor(logger: Logger, trackingUri: string) {
    this.#logger = logger;
    this.#trackingUri = trackingUri;
  }

  /** True from a failed request until a flush sends everything that waited. */
  get active(): boolean {
    return this.#since !== undefined;
  }

  failed(error: Error, pendingMetrics: number, spillFile?: string): void {
    const now = Date.now();
    if (this.#since === undefined) {
      this.#since = now;
      this.#lastReminder = now;
      this.#sentSince = 0;
      this.#logger.warn(
        `mlflow: ${error.message} Training goes on; ${pendingMetrics} metric(s) are buffered ` +
          `(past the in-memory bound they spill to ${spillFile ?? 'a file in the run directory'}) and are sent in order when the server responds.`,
      );
      return;
    }
    if (now - this.#lastReminder >= REMINDER_INTERVAL_MS) {
      this.#lastReminder = now;
      const seconds = Math.round((now - this.#since) / 1000);
      this.#logger.warn(
        `mlflow: server at ${this.#trackingUri} still unreachable after ${seconds} s; ${pendingMetrics} metric(s) buffered.`,
      );
    }
  }

  sent(metrics: number): void {
    if (this.#since !== undefined) {
      this.#sentSince += metrics;
    }
  }

  recovered(): void {
    if (this.#since === undefined) {
      return;
    }
    const seconds = ((Date.now() - this.#since) / 1000).toFixed(1);
    this.#logger.info(
      `mlflow: server at ${this.#trackingUri} responds again after ${seconds} s; sent ${this.#sentSince} buffered metric(s).`,
    );
    this.#since = undefined;
  }
}
