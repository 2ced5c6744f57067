import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { selectBackend } from '../../src/core/backend.js';
import { Logger } from '../../src/core/logger.js';
import { writeModel } from '../../src/core/train/model-files.js';
import { NET12 } from '../../src/plugins/models/architectures.js';
import { SingleNet } from '../../src/plugins/models/single-net.js';
import { SHARED_DATA } from '../helpers/temp-dir.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const DATA = SHARED_DATA;
let directory: string;
let runDir: string;

/** Runs the `cascade` CLI in a child process, as a user would, and returns its stdout and exit code. */
function runCli(args: string[]): { stdout: string; stderr: string; exitCode: number } {
  const result = spawnSync(process.execPath, [path.join(REPO, 'bin', 'cascade.mjs'), ...args], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' },
  });
  return { stdout: result.stdout, stderr: result.stderr, exitCode: result.status ?? -1 };
}

before(async () => {
  await selectBackend('tensorflow', new Logger({ level: 'silent' }));
  directory = await fs.mkdtemp(path.join(os.tmpdir(), 'cascade-cli-'));
  runDir = path.join(directory, 'net12');
  const model = await new SingleNet({
    name: 'net12',
    task: 'detection',
    architecture: NET12,
    numClasses: 2,
    initializer: 'glorotUniform',
    seed: 5,
  }).build();
  await fs.mkdir(path.join(runDir, 'model'), { recursive: true });
  await writeModel(model, path.join(runDir, 'model'));
  await fs.writeFile(path.join(runDir, 'config.json'), JSON.stringify({ model: { type: 'net12' } }));
  model.dispose();
});

after(async () => {
  await fs.rm(directory, { recursive: true, force: true });
});

describe('cascade detect', () => {
  test('prints boxes and writes annotated copies', async () => {
    const image = path.join(DATA, 'unannotated', 'Tom_Cruise_avp_2014_4.jpg');
    const out = path.join(directory, 'annotated');
    const { stdout, exitCode } = runCli([
      'detect',
      image,
      '--model',
      runDir,
      '--out',
      out,
      '--min-face',
      '120',
      '--threshold12',
      '0.5',
    ]);
    assert.equal(exitCode, 0);
    const results = JSON.parse(stdout) as Array<{ image: string; width: number; boxes: unknown[]; annotated: string }>;
    assert.equal(results.length, 1);
    assert.equal(results[0]?.image, image);
    assert.equal(results[0]?.width, 565);
    assert.ok(Array.isArray(results[0]?.boxes));
    const annotated = await sharp(results[0]?.annotated).metadata();
    assert.equal(annotated.width, 565);
    assert.equal(annotated.height, 800);
  });

  test('missing model is an error', async () => {
    const image = path.join(DATA, 'unannotated', 'Tom_Cruise_avp_2014_4.jpg');
    const { exitCode, stderr } = runCli(['detect', image]);
    assert.equal(exitCode, 1);
    assert.match(stderr, /Missing --model: pass a cascade run directory/);
  });

  test('missing image is an error', async () => {
    const { exitCode, stderr } = runCli(['detect', path.join(directory, 'nothing.jpg'), '--model', runDir]);
    assert.equal(exitCode, 1);
    assert.match(stderr, /Image or folder not found: .*nothing\.jpg/);
  });
});

describe('cascade eval', () => {
  test('scores an FDDB detections file', async () => {
    const detections = path.join(directory, 'detections.txt');
    await fs.writeFile(detections, '2002/07/19/big/img_135\n1\n100 50 80 100 0.9\n');
    const out = path.join(directory, 'eval');
    const { stdout, exitCode } = runCli([
      'eval',
      '--dataset',
      `fddb:${path.join(DATA, 'fddb')}:4`,
      '--detections',
      detections,
      '--out',
      out,
    ]);
    assert.equal(exitCode, 0);
    const metrics = JSON.parse(stdout) as { folds: number[]; images: number; recall: Record<string, number> };
    assert.deepEqual(metrics.folds, [4]);
    assert.equal(metrics.images, 33);
    assert.ok('100' in metrics.recall);
    const roc = await fs.readFile(path.join(out, 'DiscROC.txt'), 'utf8');
    assert.equal(roc.trim().split('\n').length, 1);
  });

  test('cascade run scores FDDB with stages', async () => {
    const out = path.join(directory, 'eval-cascade');
    const { stdout, exitCode } = runCli([
      'eval',
      '--dataset',
      `fddb:${path.join(DATA, 'fddb')}:1`,
      '--model',
      runDir,
      '--out',
      out,
      '--min-face',
      '80',
      '--threshold12',
      '0.6',
    ]);
    assert.equal(exitCode, 0);
    const metrics = JSON.parse(stdout) as {
      stages: Array<{ stage: string; windowsPerImage: number }>;
      imagesPerSecond: number;
    };
    assert.equal(metrics.stages[0]?.stage, 'net12');
    assert.ok(metrics.imagesPerSecond > 0);
  });

  test('WIDER dataset rejects detection files', async () => {
    const { exitCode, stderr } = runCli([
      'eval',
      '--dataset',
      `wider:${path.join(DATA, 'wider-face-val')}`,
      '--detections',
      path.join(directory, 'detections.txt'),
    ]);
    assert.equal(exitCode, 1);
    assert.match(stderr, /--detections takes FDDB output files/);
  });
});
