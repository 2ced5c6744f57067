import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../../src/core/backend.js';
import { Logger } from '../../../src/core/logger.js';
import { useNativeReluGradient } from '../../../src/core/train/native-relu-grad.js';

describe('useNativeReluGradient', () => {
  before(async () => {
    await selectBackend('tensorflow', new Logger({ level: 'silent' }));
  });

  it('gives the tfjs ReLU gradient, zero at and below zero', () => {
    const x = tf.tensor1d([-2, -0.5, 0, 0.5, 3]);
    const dy = tf.tensor1d([1, 2, 3, 4, 5]);
    const gradient = (): Float32Array =>
      tf.tidy(
        () =>
          tf
            .grad((input: tf.Tensor) => tf.sum(tf.mul(tf.relu(input), dy)))(x)
            .dataSync() as Float32Array,
      );

    const before = gradient();
    useNativeReluGradient();
    const after = gradient();
    assert.deepEqual([...after], [0, 0, 0, 4, 5]);
    assert.deepEqual([...after], [...before]);
    tf.dispose([x, dy]);
  });

  it('keeps the tensor count of a gradient step', () => {
    useNativeReluGradient();
    const x = tf.randomUniform([8, 6, 6, 4], -1, 1);
    const step = (): void => {
      tf.tidy(() => {
        tf.grad((input: tf.Tensor) => tf.sum(tf.relu(input)))(x);
      });
    };
    step();
    const count = tf.memory().numTensors;
    step();
    assert.equal(tf.memory().numTensors, count);
    x.dispose();
  });
});
