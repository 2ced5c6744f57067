import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeTempDir, REPO_ROOT, SHARED_DATA } from '../../helpers/temp-dir.js';
import { SMALL_DETECTION_DATA } from './helpers.js';

const dir = makeTempDir('cascade-resume-');
const runsDir = path.join(dir, 'runs');
const STEPS = 1500;
const CHECKPOINT_EVERY = 25;

function writeExperiment(name = 'resume-net'): string {
  // .mts: outside a package with "type": "module", a .ts file would load as CommonJS.
  const file = path.join(dir, `${name}.mts`);
  const experiment = {
    name,
    dataRoot: SHARED_DATA,
    cacheDir: path.join(dir, 'cache'),
    runsDir,
    logLevel: 'warn',
    trackers: [{ type: 'local' }],
    data: SMALL_DETECTION_DATA,
    model: { type: 'net12' },
    train: { epochs: 1, stepsPerEpoch: STEPS, batchSize: 32, checkpointEverySteps: CHECKPOINT_EVERY, logEverySteps: 5 },
  };
  fs.writeFileSync(file, `export default ${JSON.stringify(experiment, null, 2)};\n`);
  return file;
}

function runCli(args: string[]): { child: ChildProcess; exit: Promise<number | null>; stderr: () => string } {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/cascade.mjs'), ...args], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const exit = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => {
      resolve(code);
    });
  });
  return { child, exit, stderr: () => stderr };
}

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

describe('cascade exp --resume', () => {
  it('continues after SIGKILL from the last checkpoint', { timeout: 120_000 }, async () => {
    const file = writeExperiment();
    const first = runCli(['exp', file]);

    // Wait for a checkpoint past the first one, then kill the process without warning.
    let runDir: string | undefined;
    let latest: string | undefined;
    let exited = false;
    void first.exit.then(() => {
      exited = true;
    });
    while (!latest) {
      assert.equal(exited, false, 'the first run ended before its second checkpoint');
      await sleep(20);
      const experimentDir = path.join(runsDir, 'resume-net');
      const ids = fs.existsSync(experimentDir) ? fs.readdirSync(experimentDir) : [];
      runDir = ids[0] ? path.join(experimentDir, ids[0]) : undefined;
      const pointer = runDir ? path.join(runDir, 'checkpoints', 'latest.json') : undefined;
      if (pointer && fs.existsSync(pointer) && (readJson(pointer).checkpoint as string) >= 'step-000000050') {
        latest = readJson(pointer).checkpoint as string;
      }
    }
    first.child.kill('SIGKILL');
    assert.equal(await first.exit, null);
    assert.ok(runDir);
    assert.equal(readJson(path.join(runDir, 'summary.json')).status, 'RUNNING');
    const killedAt = Number(
      readJson(path.join(runDir, 'checkpoints', 'latest.json'))
        .checkpoint?.toString()
        .slice(5),
    );
    assert.ok(killedAt < STEPS, `checkpoint at step ${killedAt}`);

    const second = runCli(['exp', file, '--resume']);
    assert.equal(await second.exit, 0, second.stderr());

    assert.deepEqual(fs.readdirSync(path.join(runsDir, 'resume-net')).sort(), [path.basename(runDir), 'latest'].sort());
    const summary = readJson(path.join(runDir, 'summary.json'));
    assert.equal(summary.status, 'FINISHED');
    assert.ok(fs.existsSync(path.join(runDir, 'model', 'model.json')));

    const steps = fs
      .readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).step as number);
    // The records the first process made after its last checkpoint are gone: the resumed one logged
    // those steps again, once each, in order.
    steps.forEach((step, index) => {
      assert.ok(index === 0 || step >= (steps[index - 1] as number), `step ${step} follows ${steps[index - 1]}`);
    });
    assert.equal(
      steps.find((step) => step > killedAt),
      killedAt + 5,
    );
    assert.equal(steps.at(-1), STEPS);
  });

  it('marks a run KILLED on SIGINT', { timeout: 120_000 }, async () => {
    const file = writeExperiment('interrupted-net');
    const experimentDir = path.join(runsDir, 'interrupted-net');
    const first = runCli(['exp', file]);
    let pointer: string | undefined;
    while (!pointer || !fs.existsSync(pointer)) {
      await sleep(20);
      const ids = fs.existsSync(experimentDir) ? fs.readdirSync(experimentDir) : [];
      pointer = ids[0] ? path.join(experimentDir, ids[0], 'checkpoints', 'latest.json') : undefined;
    }
    first.child.kill('SIGINT');
    assert.equal(await first.exit, 130);

    const runDir = path.dirname(path.dirname(pointer));
    assert.equal(readJson(path.join(runDir, 'summary.json')).status, 'KILLED');

    // A resume with another config would mix two schedules in one run.
    const changed = runCli(['exp', file, '--resume', '--set', 'train.batchSize=16']);
    assert.equal(await changed.exit, 1);
    assert.match(changed.stderr(), /Cannot resume .*train\.batchSize: 32 in the run, 16 now/);
    assert.equal(readJson(path.join(runDir, 'summary.json')).status, 'KILLED');

    const second = runCli(['exp', file, '--resume']);
    assert.equal(await second.exit, 0, second.stderr());
    assert.equal(readJson(path.join(runDir, 'summary.json')).status, 'FINISHED');
  });
});
