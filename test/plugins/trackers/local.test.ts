import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { LocalTracker } from '../../../src/plugins/trackers/local.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const dir = makeTempDir('cascade-local-tracker-');

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function readMetrics(runDir: string): Array<Record<string, unknown>> {
  return fs
    .readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}

describe('LocalTracker', () => {
  it('writes params, metrics lines, tags and inputs', async () => {
    const runDir = path.join(dir, 'runs', 'net12', 'run-a');
    const tracker = new LocalTracker();
    await tracker.startRun({ experiment: 'net12', runName: 'run-a', runDir, tags: { model: 'net12' } });
    await tracker.logParams({ 'train.epochs': 3, 'optimizer.type': 'adadelta' });
    tracker.logMetrics({ train_loss: 0.7 }, 10, 1000);
    tracker.logMetrics({ train_loss: 0.5, val_accuracy: 0.8 }, 20, 2000);
    await tracker.logInput({ name: 'samples', digest: 'abc', sourceType: 'store', source: '/store' });
    await tracker.endRun('FINISHED');

    assert.deepEqual(readJson(path.join(runDir, 'params.json')), { 'train.epochs': 3, 'optimizer.type': 'adadelta' });
    const lines = readMetrics(runDir);
    assert.deepEqual(lines, [
      { step: 10, timestamp: 1000, train_loss: 0.7 },
      { step: 20, timestamp: 2000, train_loss: 0.5, val_accuracy: 0.8 },
    ]);
    const tags = readJson(path.join(runDir, 'tags.json'));
    assert.equal(tags.model, 'net12');
    assert.equal(tags.status, 'FINISHED');
    assert.equal((readJson(path.join(runDir, 'inputs.json')) as unknown as unknown[]).length, 1);
  });

  it('rewind drops later metrics', async () => {
    const runDir = path.join(dir, 'runs', 'net12', 'run-rewind');
    const first = new LocalTracker();
    await first.startRun({ experiment: 'net12', runName: 'run-rewind', runDir });
    for (const step of [5, 10, 15, 20]) {
      first.logMetrics({ train_loss: 1 / step }, step, step);
    }
    fs.appendFileSync(path.join(runDir, 'metrics.jsonl'), '{"step": 25, "train_lo');

    const resumed = new LocalTracker();
    await resumed.startRun({ experiment: 'net12', runName: 'run-rewind', runDir });
    await resumed.rewind(10);
    resumed.logMetrics({ train_loss: 0.06 }, 15, 99);
    const lines = readMetrics(runDir);
    assert.deepEqual(lines, [
      { step: 5, timestamp: 5, train_loss: 0.2 },
      { step: 10, timestamp: 10, train_loss: 0.1 },
      { step: 15, timestamp: 99, train_loss: 0.06 },
    ]);
  });

  it('keeps earlier params when a resumed run starts again', async () => {
    const runDir = path.join(dir, 'runs', 'net12', 'run-b');
    const first = new LocalTracker();
    await first.startRun({ experiment: 'net12', runName: 'run-b', runDir });
    await first.logParams({ seed: 42 });
    const second = new LocalTracker();
    await second.startRun({ experiment: 'net12', runName: 'run-b', runDir });
    await second.logParams({ 'train.epochs': 5 });
    assert.deepEqual(readJson(path.join(runDir, 'params.json')), { seed: 42, 'train.epochs': 5 });
  });

  it('copies artifacts from outside the run directory', async () => {
    const runDir = path.join(dir, 'runs', 'net12', 'run-c');
    const outside = path.join(dir, 'report.txt');
    fs.writeFileSync(outside, 'recall 0.85');
    const tracker = new LocalTracker();
    await tracker.startRun({ experiment: 'net12', runName: 'run-c', runDir });
    await tracker.logArtifact(outside, 'reports');
    await tracker.logArtifact(path.join(runDir, 'params.json'));
    assert.equal(fs.readFileSync(path.join(runDir, 'artifacts', 'reports', 'report.txt'), 'utf8'), 'recall 0.85');
    assert.deepEqual(fs.readdirSync(path.join(runDir, 'artifacts')), ['reports']);
  });

  it('rejects calls before startRun', async () => {
    await assert.rejects(new LocalTracker().logParams({ a: 1 }), /has no run; call startRun first/);
  });
});
