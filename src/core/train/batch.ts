import * as tf from '@tensorflow/tfjs';
import type { Sample } from '../types.js';
import { type HostBatch, toHostBatch } from './host-batch.js';

/** One batch as tensors: crops in [0, 1] (NHWC), one-hot labels and integer labels. */
export interface BatchTensors {
  x: tf.Tensor4D;
  y: tf.Tensor2D;
  labels: Int32Array;
}

/** Wraps a batch in tensors, two uploads and no tensor ops. The caller disposes `x` and `y`. */
export function hostBatchTensors(batch: HostBatch, size: number, numClasses: number): BatchTensors {
  return {
    x: tf.tensor4d(batch.pixels, [batch.count, size, size, 3]),
    y: tf.tensor2d(batch.oneHot, [batch.count, numClasses]),
    labels: batch.labels,
  };
}

/** Converts samples to tensors (see `toHostBatch`). The caller disposes `x` and `y`. */
export function toBatchTensors(samples: readonly Sample[], size: number, numClasses: number): BatchTensors {
  return hostBatchTensors(toHostBatch(samples, size, numClasses), size, numClasses);
}
