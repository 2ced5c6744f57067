import type { Logger } from '../logger.js';
import type { DatasetInput, ParamValue, RunStart, RunStatus, Tracker } from '../tracker.js';

/**
 * Sends every call to several trackers. A tracker that throws is logged as a warning, once per
 * tracker and method, and training goes on with the others.
 */
export class TrackerGroup implements Tracker {
  readonly name = 'group';
  readonly trackers: readonly Tracker[];
  readonly #logger: Logger;
  readonly #warned = new Set<string>();

  constructor(trackers: readonly Tracker[], logger: Logger) {
    this.trackers = trackers;
    this.#logger = logger;
  }

  async startRun(run: RunStart): Promise<void> {
    await this.#each('startRun', (tracker) => tracker.startRun(run));
  }

  async logParams(params: Record<string, ParamValue>): Promise<void> {
    await this.#each('logParams', (tracker) => tracker.logParams(params));
  }

  async setTags(tags: Record<string, string>): Promise<void> {
    await this.#each('setTags', (tracker) => tracker.setTags(tags));
  }

  logMetrics(metrics: Record<string, number>, step: number, timestampMs?: number): void {
    for (const tracker of this.trackers) {
      try {
        tracker.logMetrics(metrics, step, timestampMs);
      } catch (error) {
        this.#warn(tracker, 'logMetrics', error);
      }
    }
  }

  async rewind(step: number): Promise<void> {
    await this.#each('rewind', async (tracker) => tracker.rewind?.(step));
  }

  async logArtifact(localPath: string, artifactPath?: string): Promise<void> {
    await this.#each('logArtifact', (tracker) => tracker.logArtifact(localPath, artifactPath));
  }

  async logInput(input: DatasetInput): Promise<void> {
    await this.#each('logInput', (tracker) => tracker.logInput(input));
  }

  /** Opens a child run in every tracker; a tracker that fails to open one is left out of the child group. */
  async startChild(run: RunStart): Promise<Tracker> {
    const children: Tracker[] = [];
    for (const tracker of this.trackers) {
      try {
        children.push(await tracker.startChild(run));
      } catch (error) {
        this.#warn(tracker, 'startChild', error);
      }
    }
    return new TrackerGroup(children, this.#logger);
  }

  async endRun(status: RunStatus): Promise<void> {
    await this.#each('endRun', (tracker) => tracker.endRun(status));
  }

  async #each(method: string, call: (tracker: Tracker) => Promise<void>): Promise<void> {
    await Promise.all(
      this.trackers.map(async (tracker) => {
        try {
          await call(tracker);
        } catch (error) {
          this.#warn(tracker, method, error);
        }
      }),
    );
  }

  #warn(tracker: Tracker, method: string, error: unknown): void {
    const key = `${tracker.name}.${method}`;
    if (this.#warned.has(key)) {
      return;
    }
    this.#warned.add(key);
    const message = error instanceof Error ? error.message : String(error);
    this.#logger.warn(
      `tracker "${tracker.name}" failed in ${method} and is skipped for this call: ${message} ` +
        '(later failures of the same call are not shown; training continues).',
    );
  }
}
