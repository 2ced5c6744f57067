import 'reflect-metadata';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MlflowServer, mlflowSkipReason } from '../../../helpers/mlflow-server.js';
import { makeTempDir } from '../../../helpers/temp-dir.js';
import { createTracker, readerClient, recordingLogger, sampleConfig, toRecord, waitFor } from './fixtures.js';

describe('MlflowTracker while the server restarts', { skip: mlflowSkipReason() }, () => {
  let server: MlflowServer;
  const tmp = makeTempDir('cascade-mlflow-outage-');

  before(async () => {
    server = await MlflowServer.start();
  });

  after(async () => {
    await server?.dispose();
  });

  it('server restart loses no metric step', async () => {
    const { logger, lines } = recordingLogger();
    const tracker = await createTracker(
      sampleConfig('net12-outage'),
      // A small in-memory bound, so that the outage spills metrics to the file.
      { trackingUri: server.uri, flushIntervalMs: 100, maxBufferedMetrics: 300, endTimeoutMs: 90_000 },
      logger,
    );
    const runDir = path.join(tmp, 'run');
    const spillFile = path.join(runDir, 'mlflow-pending-metrics.jsonl');
    await tracker.startRun({ experiment: 'net12-outage', runName: 'outage', runDir });

    let step = 0;
    const logSteps = (count: number): void => {
      for (const end = step + count; step < end; step += 1) {
        tracker.logMetrics({ loss: 1 / (step + 1), accuracy: step / 2000 }, step);
      }
    };

    logSteps(200);
    await tracker.flush();
    assert.equal(tracker.pendingMetrics, 0);

    // Training goes on while the server stops, so a flush may be in flight when it goes down.
    const training = setInterval(() => logSteps(1), 10);
    try {
      await server.stop();
      await waitFor(() => fs.existsSync(spillFile), 30_000, 'metrics to spill to the run directory');
      await tracker.setTags({ phase: 'during-outage' });
      await tracker.logParams({ 'outage.note': 'logged while down' });
      assert.ok(tracker.pendingMetrics > 300, `${tracker.pendingMetrics} metrics buffered`);
      assert.ok(lines.some((line) => line.includes('is unreachable') && line.includes('Training goes on')));

      await server.resume();
      await waitFor(() => lines.some((line) => line.includes('responds again')), 60_000, 'the tracker to reconnect');
    } finally {
      clearInterval(training);
    }
    logSteps(100);
    await tracker.endRun('FINISHED');

    const reader = readerClient(server.uri);
    const run = await reader.getRun(tracker.runId!);
    assert.equal(run.info.status, 'FINISHED');
    for (const key of ['loss', 'accuracy']) {
      const history = await reader.getMetricHistory(tracker.runId!, key);
      const steps = history.map((metric) => metric.step).sort((a, b) => a - b);
      assert.deepEqual(
        steps,
        Array.from({ length: step }, (_, index) => index),
        `${key}: each of the ${step} steps exactly once`,
      );
    }
    assert.equal(toRecord(run.data.tags).phase, 'during-outage');
    assert.equal(toRecord(run.data.params)['outage.note'], 'logged while down');
    assert.ok(lines.some((line) => line.includes('responds again')));
    assert.equal(fs.existsSync(spillFile), false);
    await reader.close();
  });

  it('saves unsent metrics when the end times out', async () => {
    const { logger, lines } = recordingLogger();
    const tracker = await createTracker(
      sampleConfig('net12-gone'),
      { trackingUri: server.uri, logConfig: false, maxBufferedMetrics: 50, endTimeoutMs: 1_500 },
      logger,
    );
    const runDir = path.join(tmp, 'gone');
    await tracker.startRun({ experiment: 'net12-gone', runName: 'gone', runDir });
    await server.stop();
    for (let step = 0; step < 120; step += 1) {
      tracker.logMetrics({ loss: step }, step, 1_700_000_000_000 + step);
    }
    await tracker.endRun('FINISHED');

    const unsentFile = path.join(runDir, 'mlflow-unsent-metrics.jsonl');
    const saved = fs
      .readFileSync(unsentFile, 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { step: number });
    assert.deepEqual(
      saved.map((metric) => metric.step),
      Array.from({ length: 120 }, (_, step) => step),
    );
    assert.equal(fs.existsSync(path.join(runDir, 'mlflow-pending-metrics.jsonl')), false);
    assert.ok(lines.some((line) => line.includes('stays RUNNING. 120 unsent metric(s) are saved in')));
  });
});
