import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../../src/core/backend.js';
import { createPlugin } from '../../../src/core/container.js';
import { Logger } from '../../../src/core/logger.js';
import type { Optimizer } from '../../../src/core/optimizer.js';
import { setLearningRate } from '../../../src/plugins/optimizers/scheduled-optimizer.js';
import { testConfig, testContainer } from '../../core/train/helpers.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const dir = makeTempDir('cascade-optimizers-');

async function createOptimizer(spec: Record<string, unknown>): Promise<Optimizer> {
  const config = await testConfig(dir, { optimizer: spec });
  return createPlugin(await testContainer(config), 'optimizer', config.optimizer);
}

/** Runs steps of an optimizer on f(w) = w^2 from w = 1 and returns w. */
function minimizeSquare(optimizer: tf.Optimizer, steps: number, rateAfterFirst?: number): number {
  const weight = tf.variable(tf.scalar(1));
  for (let step = 0; step < steps; step += 1) {
    if (step === 1 && rateAfterFirst !== undefined) {
      setLearningRate(optimizer, rateAfterFirst);
    }
    tf.tidy(() => {
      optimizer.minimize(() => tf.square(weight) as tf.Scalar, false, [weight]);
    });
  }
  const value = weight.dataSync()[0] as number;
  weight.dispose();
  optimizer.dispose();
  return value;
}

describe('optimizer plugins', () => {
  before(async () => {
    await selectBackend('tensorflow', new Logger({ level: 'silent' }));
  });

  it('adadelta is the default with the reference settings', async () => {
    const config = await testConfig(dir, {});
    assert.deepEqual(config.optimizer, { type: 'adadelta' });
    const plugin = await createOptimizer({ type: 'adadelta' });
    const optimizer = plugin.create() as unknown as { learningRate: number; rho: number; epsilon: number };
    assert.equal(optimizer.learningRate, 0.001);
    assert.equal(optimizer.rho, 0.95);
    assert.equal(optimizer.epsilon, 1e-8);
    assert.equal(plugin.weightDecay, 0);
  });

  for (const type of ['adadelta', 'sgd', 'adam', 'rmsprop', 'adagrad']) {
    it(`${type} lowers a quadratic loss`, async () => {
      const plugin = await createOptimizer({ type, learningRate: type === 'adadelta' ? 1 : 0.1 });
      const value = minimizeSquare(plugin.create(), 20);
      assert.ok(Math.abs(value) < 1, `w = ${value} after 20 steps`);
    });
  }

  it('adadelta scales the first step by the updated gradient mean', async () => {
    const plugin = await createOptimizer({ type: 'adadelta', learningRate: 1 });
    // Zeiler (2012), algorithm 1, at w = 1, g = 2: E[g^2] = 0.05 * 4, step = sqrt(1e-8) / sqrt(0.2 + 1e-8) * 2.
    const expected = 1 - (Math.sqrt(1e-8) / Math.sqrt(0.2 + 1e-8)) * 2;
    assert.ok(Math.abs(minimizeSquare(plugin.create(), 1) - expected) < 1e-7);
  });

  it('sgd without momentum takes plain gradient steps', async () => {
    const plugin = await createOptimizer({ type: 'sgd', learningRate: 0.1, momentum: 0 });
    // w <- w - 0.1 * 2w = 0.8 w per step.
    assert.ok(Math.abs(minimizeSquare(plugin.create(), 2) - 0.64) < 1e-6);
  });

  it('setLearningRate changes the step of sgd and adam', async () => {
    const sgd = await createOptimizer({ type: 'sgd', learningRate: 0.1, momentum: 0 });
    // One step at 0.1 (w = 0.8), then one at 0.25 (w = 0.8 - 0.25 * 1.6 = 0.4).
    assert.ok(Math.abs(minimizeSquare(sgd.create(), 2, 0.25) - 0.4) < 1e-6);
    const adam = await createOptimizer({ type: 'adam', learningRate: 0.1 });
    const constant = minimizeSquare(adam.create(), 3);
    const changed = minimizeSquare(adam.create(), 3, 0.001);
    assert.ok(changed > constant + 0.05, `w = ${changed} with a lowered rate, ${constant} without`);
  });

  it('step schedule divides the rate every few epochs', async () => {
    const plugin = await createOptimizer({
      type: 'sgd',
      learningRate: 0.1,
      schedule: { type: 'step', everyEpochs: 2, factor: 0.5 },
    });
    const rates = [0, 1, 2, 3, 4].map((epoch) => plugin.learningRateAt?.(epoch));
    assert.deepEqual(rates, [0.1, 0.1, 0.05, 0.05, 0.025]);
  });

  it('exponential schedule decays the rate every epoch', async () => {
    const plugin = await createOptimizer({
      type: 'adam',
      learningRate: 0.01,
      schedule: { type: 'exponential', factor: 0.9 },
    });
    assert.equal(plugin.learningRateAt?.(0), 0.01);
    assert.ok(Math.abs((plugin.learningRateAt?.(2) ?? 0) - 0.0081) < 1e-12);
  });

  it('constant rate has no schedule', async () => {
    const plugin = await createOptimizer({ type: 'adagrad' });
    assert.equal(plugin.learningRateAt?.(5), undefined);
  });

  it('weight decay is passed to the training loop', async () => {
    const plugin = await createOptimizer({ type: 'rmsprop', weightDecay: 0.0005 });
    assert.equal(plugin.weightDecay, 0.0005);
  });

  it('rejects an invalid option with its path', async () => {
    await assert.rejects(
      testConfig(dir, { optimizer: { type: 'adam', beta1: 2 } }),
      /optimizer\.beta1: Number must be less than or equal to 1/,
    );
  });
});
