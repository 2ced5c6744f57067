import * as tf from '@tensorflow/tfjs';
import type { Sample } from '../types.js';

/** One batch as tensors: crops in [0, 1] (NHWC), one-hot labels and integer labels. */
export interface BatchTensors {
  x: tf.Tensor4D;
  y: tf.Tensor2D;
  labels: Int32Array;
}

const BYTE_TO_UNIT = 1 / 255;

/**
 * Converts samples to tensors in one pass over their bytes: pixels scaled to [0, 1] and labels
 * one-hot encoded in JavaScript arrays, so each batch costs two tensor uploads and no tensor ops.
 * The caller disposes `x` and `y`.
 */
export function toBatchTensors(samples: readonly Sample[], size: number, numClasses: number): BatchTensors {
  const pixelsPerSample = size * size * 3;
  const pixels = new Float32Array(samples.length * pixelsPerSample);
  const oneHot = new Float32Array(samples.length * numClasses);
  const labels = new Int32Array(samples.length);
  for (const [index, sample] of samples.entries()) {
    const offset = index * pixelsPerSample;
    const bytes = sample.pixels;
    for (let i = 0; i < pixelsPerSample; i += 1) {
      pixels[offset + i] = (bytes[i] as number) * BYTE_TO_UNIT;
    }
    oneHot[index * numClasses + sample.label] = 1;
    labels[index] = sample.label;
  }
  return {
    x: tf.tensor4d(pixels, [samples.length, size, size, 3]),
    y: tf.tensor2d(oneHot, [samples.length, numClasses]),
    labels,
  };
}
