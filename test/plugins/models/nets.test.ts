import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../../src/core/backend.js';
import { createPlugin } from '../../../src/core/container.js';
import { Logger } from '../../../src/core/logger.js';
import type { Model } from '../../../src/core/model.js';
import { readModel, writeModel } from '../../../src/core/train/model-files.js';
import { RUN_FILES } from '../../../src/core/train/run-dir.js';
import { testConfig, testContainer } from '../../core/train/helpers.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const dir = makeTempDir('cascade-nets-');

async function createModel(spec: Record<string, unknown>): Promise<Model> {
  const config = await testConfig(dir, { model: spec });
  return createPlugin(await testContainer(config), 'model', config.model);
}

/** Writes a built net as a finished run, as the training loop does, and returns its directory. */
async function saveAsRun(model: tf.LayersModel, name: string): Promise<string> {
  const runDir = path.join(dir, 'runs', name, 'run-1');
  fs.mkdirSync(path.join(runDir, RUN_FILES.model), { recursive: true });
  await writeModel(model, path.join(runDir, RUN_FILES.model));
  fs.writeFileSync(path.join(runDir, RUN_FILES.config), JSON.stringify({ name }));
  fs.writeFileSync(path.join(runDir, RUN_FILES.summary), JSON.stringify({ status: 'FINISHED' }));
  return runDir;
}

function layerNames(model: tf.LayersModel): string[] {
  return model.layers.map((layer) => layer.name);
}

function sameValues(a: tf.Tensor, b: tf.Tensor): boolean {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] === 0);
}

describe('model plugins', () => {
  before(async () => {
    await selectBackend('tensorflow', new Logger({ level: 'silent' }));
  });

  const singleNets = [
    { type: 'net12', size: 12, classes: 2, layers: ['input', 'conv1', 'pool1', 'flatten', 'fc1', 'output'], fc: 16 },
    {
      type: 'calib12',
      size: 12,
      classes: 45,
      layers: ['input', 'conv1', 'pool1', 'flatten', 'fc1', 'output'],
      fc: 128,
    },
    { type: 'calib24', size: 24, classes: 45, layers: ['input', 'conv1', 'pool1', 'flatten', 'fc1', 'output'], fc: 64 },
    {
      type: 'calib48',
      size: 48,
      classes: 45,
      layers: ['input', 'conv1', 'pool1', 'norm1', 'conv2', 'norm2', 'flatten', 'fc1', 'output'],
      fc: 256,
    },
  ];

  for (const net of singleNets) {
    it(`${net.type} has the documented layers and shapes`, async () => {
      const plugin = await createModel({ type: net.type });
      const model = await plugin.build();
      assert.equal(plugin.inputSize, net.size);
      assert.equal(plugin.numClasses, net.classes);
      assert.deepEqual(layerNames(model), net.layers);
      assert.deepEqual(model.getLayer('fc1').outputShape, [null, net.fc]);
      const output = tf.tidy(() => model.predict(tf.ones([3, net.size, net.size, 3])) as tf.Tensor);
      assert.deepEqual(output.shape, [3, net.classes]);
      const sums = tf.tidy(() => tf.sum(output, 1).dataSync());
      for (const sum of sums) {
        assert.ok(Math.abs(sum - 1) < 1e-5, `softmax row sums to ${sum}`);
      }
      output.dispose();
      model.dispose();
    });
  }

  it('net12 has the 12-net layer shapes of Li et al.', async () => {
    const model = await (await createModel({ type: 'net12' })).build();
    assert.deepEqual(model.getLayer('conv1').outputShape, [null, 10, 10, 16]);
    assert.deepEqual(model.getLayer('pool1').outputShape, [null, 4, 4, 16]);
    model.dispose();
  });

  it('builds the same weights for the same seed', async () => {
    const first = await (await createModel({ type: 'net12' })).build();
    const second = await (await createModel({ type: 'net12' })).build();
    const [a, b] = [first.getLayer('conv1').getWeights()[0], second.getLayer('conv1').getWeights()[0]];
    assert.ok(a);
    assert.ok(b);
    assert.ok(sameValues(a, b));
    first.dispose();
    second.dispose();
  });

  it('uses the configured initializer', async () => {
    const glorot = await (await createModel({ type: 'net12' })).build();
    const he = await (await createModel({ type: 'net12', initializer: 'heNormal' })).build();
    const [a, b] = [glorot.getLayer('fc1').getWeights()[0], he.getLayer('fc1').getWeights()[0]];
    assert.ok(a);
    assert.ok(b);
    assert.ok(!sameValues(a, b));
    glorot.dispose();
    he.dispose();
  });

  it('saved 48-calib net reloads with its normalization layers', async () => {
    const model = await (await createModel({ type: 'calib48' })).build();
    const modelDir = path.join(dir, 'calib48-model');
    fs.mkdirSync(modelDir, { recursive: true });
    await writeModel(model, modelDir);
    const reloaded = await readModel(modelDir);
    assert.equal(reloaded.getLayer('norm1').getClassName(), 'LocalResponseNormalization');
    const input = tf.randomUniform([2, 48, 48, 3], 0, 1, 'float32', 3);
    const [a, b] = [model.predict(input) as tf.Tensor, reloaded.predict(input) as tf.Tensor];
    assert.ok(sameValues(a, b));
    tf.dispose([input, a, b]);
    model.dispose();
    reloaded.dispose();
  });

  it('net24 copies and freezes the trained 12-net', async () => {
    const net12 = await (await createModel({ type: 'net12' })).build();
    const runDir = await saveAsRun(net12, '12net');
    const model = await (await createModel({ type: 'net24', net12: runDir })).build();

    for (const name of ['net12_downscale', 'net12_conv1', 'net12_pool1', 'net12_flatten', 'net12_fc1', 'concat']) {
      assert.ok(layerNames(model).includes(name), `missing layer ${name}`);
    }
    assert.deepEqual(model.getLayer('concat').outputShape, [null, 128 + 16]);
    const copied = model.getLayer('net12_conv1').getWeights()[0];
    const original = net12.getLayer('conv1').getWeights()[0];
    assert.ok(copied);
    assert.ok(original);
    assert.ok(sameValues(copied, original));
    assert.equal(model.getLayer('net12_fc1').trainable, false);
    assert.equal(model.getLayer('conv1').trainable, true);
    const trainable = model.trainableWeights.map((weight) => weight.originalName);
    assert.ok(
      trainable.every((name) => !name.startsWith('net12_')),
      trainable.join(', '),
    );
    net12.dispose();
    model.dispose();
  });

  it('net48 takes the 24-net features with its 12-net branch', async () => {
    const net12 = await (await createModel({ type: 'net12' })).build();
    const run12 = await saveAsRun(net12, '12net-for-48');
    const net24 = await (await createModel({ type: 'net24', net12: run12 })).build();
    const run24 = await saveAsRun(net24, '24net');
    const model = await (await createModel({ type: 'net48', net24: run24 })).build();

    assert.deepEqual(model.getLayer('concat').outputShape, [null, 256 + 128 + 16]);
    assert.deepEqual(model.getLayer('net24_downscale').outputShape, [null, 24, 24, 3]);
    assert.deepEqual(model.getLayer('net12_downscale').outputShape, [null, 12, 12, 3]);
    const pairs: Array<[string, tf.LayersModel, string]> = [
      ['net24_conv1', net24, 'conv1'],
      ['net24_fc1', net24, 'fc1'],
      ['net12_conv1', net12, 'conv1'],
      ['net12_fc1', net12, 'fc1'],
    ];
    for (const [name, source, sourceName] of pairs) {
      const copied = model.getLayer(name).getWeights()[0];
      const original = source.getLayer(sourceName).getWeights()[0];
      assert.ok(copied, name);
      assert.ok(original, name);
      assert.ok(sameValues(copied, original), name);
      assert.equal(model.getLayer(name).trainable, false, name);
    }
    for (const net of [net12, net24, model]) {
      net.dispose();
    }
  });

  it('net24 rejects a run of another net', async () => {
    const calib = await (await createModel({ type: 'calib12' })).build();
    const runDir = await saveAsRun(calib, '12cal');
    const plugin = await createModel({ type: 'net24', net12: runDir });
    await assert.rejects(
      plugin.build(),
      /needs a trained 12x12 detection net, but the run .* holds a 12x12 calibration net/,
    );
    calib.dispose();
  });

  it('net24 names the missing run and the fix', async () => {
    const plugin = await createModel({ type: 'net24', net12: path.join(dir, 'runs', 'nowhere') });
    await assert.rejects(
      plugin.build(),
      /Trained run ".*nowhere" not found: .*train it first with cascade exp experiments\/12net.ts/,
    );
  });
});
