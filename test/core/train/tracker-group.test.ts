import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Logger } from '../../../src/core/logger.js';
import type { RunStart, Tracker } from '../../../src/core/tracker.js';
import { TrackerGroup } from '../../../src/core/train/tracker-group.js';

/** A tracker that records calls, and throws from every call when `broken`. */
class RecordingTracker implements Tracker {
  readonly calls: string[] = [];
  constructor(
    readonly name: string,
    readonly broken = false,
  ) {}

  #record(call: string): void {
    if (this.broken) {
      throw new Error(`${this.name} backend is unreachable`);
    }
    this.calls.push(call);
  }

  async startRun(run: RunStart): Promise<void> {
    this.#record(`startRun ${run.runName}`);
  }
  async logParams(params: Record<string, unknown>): Promise<void> {
    this.#record(`logParams ${Object.keys(params).join(',')}`);
  }
  async setTags(): Promise<void> {
    this.#record('setTags');
  }
  logMetrics(metrics: Record<string, number>, step: number): void {
    this.#record(`logMetrics ${step} ${Object.keys(metrics).join(',')}`);
  }
  async logArtifact(localPath: string): Promise<void> {
    this.#record(`logArtifact ${localPath}`);
  }
  async logInput(): Promise<void> {
    this.#record('logInput');
  }
  async startChild(run: RunStart): Promise<Tracker> {
    this.#record(`startChild ${run.runName}`);
    return new RecordingTracker(`${this.name}/child`);
  }
  async endRun(status: string): Promise<void> {
    this.#record(`endRun ${status}`);
  }
}

function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = { write: (chunk: string) => lines.push(chunk) } as unknown as NodeJS.WritableStream;
  return { logger: new Logger({ level: 'warn', stream }), lines };
}

const RUN = { experiment: 'exp', runName: 'run-1', runDir: '/tmp/none' };

describe('TrackerGroup', () => {
  it('sends every call to every tracker', async () => {
    const [a, b] = [new RecordingTracker('a'), new RecordingTracker('b')];
    const group = new TrackerGroup([a, b], capture().logger);
    await group.startRun(RUN);
    await group.logParams({ 'train.epochs': 3 });
    group.logMetrics({ loss: 1 }, 5);
    await group.endRun('FINISHED');
    const expected = ['startRun run-1', 'logParams train.epochs', 'logMetrics 5 loss', 'endRun FINISHED'];
    assert.deepEqual(a.calls, expected);
    assert.deepEqual(b.calls, expected);
  });

  it('warns once about a failing tracker and keeps the others', async () => {
    const healthy = new RecordingTracker('local');
    const broken = new RecordingTracker('mlflow', true);
    const { logger, lines } = capture();
    const group = new TrackerGroup([broken, healthy], logger);
    await group.startRun(RUN);
    group.logMetrics({ loss: 1 }, 1);
    group.logMetrics({ loss: 0.5 }, 2);
    await group.endRun('FINISHED');

    assert.deepEqual(healthy.calls, ['startRun run-1', 'logMetrics 1 loss', 'logMetrics 2 loss', 'endRun FINISHED']);
    const warnings = lines.join('');
    assert.match(
      warnings,
      /tracker "mlflow" failed in startRun and is skipped for this call: mlflow backend is unreachable/,
    );
    assert.equal(warnings.match(/failed in logMetrics/g)?.length, 1);
  });

  it('opens child runs in the trackers that can', async () => {
    const healthy = new RecordingTracker('local');
    const broken = new RecordingTracker('mlflow', true);
    const group = new TrackerGroup([healthy, broken], capture().logger);
    const child = (await group.startChild({ ...RUN, runName: 'stage-12' })) as TrackerGroup;
    assert.deepEqual(
      child.trackers.map((tracker) => tracker.name),
      ['local/child'],
    );
    child.logMetrics({ loss: 1 }, 1);
    assert.deepEqual((child.trackers[0] as RecordingTracker).calls, ['logMetrics 1 loss']);
  });
});
