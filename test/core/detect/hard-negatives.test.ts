import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../../src/core/backend.js';
import { readImageSize } from '../../../src/core/image/index.js';
import { Logger } from '../../../src/core/logger.js';
import { writeModel } from '../../../src/core/train/model-files.js';
import type { AnnotatedImage, Sample } from '../../../src/core/types.js';
import { HardNegativeMiner, hardNegativesOptions } from '../../../src/plugins/augmenters/hard-negatives.js';
import { NET12 } from '../../../src/plugins/models/architectures.js';
import { SingleNet } from '../../../src/plugins/models/single-net.js';
import { SHARED_DATA } from '../../helpers/temp-dir.js';

const BACKGROUNDS = path.join(SHARED_DATA, 'backgrounds');
const FILES = ['brick.png', 'coffee.png', 'chelsea.png'];

let directory: string;
let runDir: string;

/** Saves a 12-net whose face probability exceeds 0.5 for windows brighter than 30% as a finished run. */
async function writeBrightnessRun(target: string): Promise<void> {
  const model = await new SingleNet({
    name: 'net12',
    task: 'detection',
    architecture: NET12,
    numClasses: 2,
    initializer: 'glorotUniform',
    seed: 1,
  }).build();
  model.getLayer('conv1').setWeights([tf.fill([3, 3, 3, 16], 1 / 27), tf.zeros([16])]);
  model.getLayer('fc1').setWeights([tf.fill([4 * 4 * 16, 16], 1 / 256), tf.zeros([16])]);
  model
    .getLayer('output')
    .setWeights([tf.tensor2d(Array.from({ length: 16 }, () => [-2, 2])), tf.tensor1d([0, -0.3 * 16 * 2 * 2])]);
  await fs.mkdir(path.join(target, 'model'), { recursive: true });
  await writeModel(model, path.join(target, 'model'));
  await fs.writeFile(path.join(target, 'config.json'), JSON.stringify({ model: { type: 'net12' } }));
  model.dispose();
}

async function* backgroundImages(extra: AnnotatedImage[] = []): AsyncIterable<AnnotatedImage> {
  for (const name of FILES) {
    const file = path.join(BACKGROUNDS, name);
    const size = await readImageSize(file);
    yield { id: name, source: 'backgrounds', path: file, ...size, faces: [], faceFree: true };
  }
  yield* extra;
}

async function mine(options: Record<string, unknown>, extra: AnnotatedImage[] = []): Promise<Sample[]> {
  const parsed = hardNegativesOptions.parse({ size: 24, models: [runDir], detector: { minFaceSize: 48 }, ...options });
  const miner = new HardNegativeMiner(parsed, {
    seed: 7,
    projectDir: directory,
    logger: new Logger({ level: 'silent' }),
  });
  const samples: Sample[] = [];
  for await (const sample of miner.samples(backgroundImages(extra))) {
    samples.push(sample);
  }
  return samples;
}

before(async () => {
  await selectBackend('tensorflow', new Logger({ level: 'silent' }));
  directory = await fs.mkdtemp(path.join(os.tmpdir(), 'cascade-hard-negatives-'));
  runDir = path.join(directory, 'net12-run');
  await writeBrightnessRun(runDir);
});

after(async () => {
  await fs.rm(directory, { recursive: true, force: true });
});

describe('hard-negative miner', () => {
  test('mined windows are non-face crops', async () => {
    const samples = await mine({ maxPerImage: 30 });
    assert.ok(samples.length > 0, 'no window passed the 12-net');
    for (const sample of samples) {
      assert.equal(sample.label, 0);
      assert.equal(sample.size, 24);
      assert.equal(sample.pixels.length, 24 * 24 * 3);
    }
  });

  test('windows per image are capped', async () => {
    const samples = await mine({ maxPerImage: 5 });
    const perGroup = new Map<string, number>();
    for (const sample of samples) {
      perGroup.set(sample.group, (perGroup.get(sample.group) ?? 0) + 1);
    }
    for (const [group, count] of perGroup) {
      assert.ok(count <= 5, `${group} gave ${count} windows`);
    }
  });

  test('mining is deterministic', async () => {
    const first = await mine({ maxPerImage: 10 });
    const second = await mine({ maxPerImage: 10 });
    assert.equal(first.length, second.length);
    assert.deepEqual(
      first.map((sample) => Buffer.from(sample.pixels).toString('base64')),
      second.map((sample) => Buffer.from(sample.pixels).toString('base64')),
    );
  });

  test('images with faces are skipped by default', async () => {
    const file = path.join(BACKGROUNDS, 'brick.png');
    const size = await readImageSize(file);
    const withFace: AnnotatedImage = {
      id: 'annotated-brick',
      source: 'photos',
      path: file,
      ...size,
      faces: [{ box: { x: 10, y: 10, w: 50, h: 50 }, attributes: {} }],
    };
    const samples = await mine({ maxPerImage: 10 }, [withFace]);
    assert.equal(samples.filter((sample) => sample.group === 'photos:annotated-brick').length, 0);
    const included = await mine({ maxPerImage: 10, useFaceImages: true }, [withFace]);
    assert.ok(included.some((sample) => sample.group === 'photos:annotated-brick'));
  });

  test('missing run is reported', async () => {
    await assert.rejects(mine({ models: [path.join(directory, 'nowhere')] }), /Trained run ".*nowhere" not found/);
  });
});

describe('hard-negative miner cache key', () => {
  function minerFor(models: string[]): HardNegativeMiner {
    return new HardNegativeMiner(hardNegativesOptions.parse({ size: 24, models }), {
      seed: 7,
      projectDir: directory,
      logger: new Logger({ level: 'silent' }),
    });
  }

  test('changes when a latest link moves to a retrained run', async () => {
    const retrained = path.join(directory, 'retrained-by-link');
    await fs.cp(runDir, retrained, { recursive: true });
    const weights = (await fs.readdir(path.join(retrained, 'model'))).find((name) => name.endsWith('.bin'));
    assert.ok(weights, 'the saved run has a weights file');
    const file = path.join(retrained, 'model', weights);
    const bytes = await fs.readFile(file);
    bytes[0] = (bytes[0] ?? 0) ^ 0xff;
    await fs.writeFile(file, bytes);

    const link = path.join(directory, 'latest');
    await fs.symlink(runDir, link);
    const first = await minerFor([link]).cacheKey();
    assert.equal(await minerFor([link]).cacheKey(), first);
    await fs.rm(link);
    await fs.symlink(retrained, link);
    assert.notEqual(await minerFor([link]).cacheKey(), first);
  });

  test('changes when the weights of a mined run change', async () => {
    const copy = path.join(directory, 'retrained-run');
    await fs.cp(runDir, copy, { recursive: true });
    const before = await minerFor([copy]).cacheKey();
    const weights = (await fs.readdir(path.join(copy, 'model'))).find((name) => name.endsWith('.bin'));
    assert.ok(weights, 'the saved run has a weights file');
    const file = path.join(copy, 'model', weights);
    const bytes = await fs.readFile(file);
    bytes[0] = (bytes[0] ?? 0) ^ 0xff;
    await fs.writeFile(file, bytes);
    const after = await minerFor([copy]).cacheKey();
    assert.notEqual(after, before);
  });
});
