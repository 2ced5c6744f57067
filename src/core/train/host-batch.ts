import type { Sample } from '../types.js';

/** One batch in plain arrays: crops in [0, 1] (NHWC), one-hot labels and integer labels. */
export interface HostBatch {
  count: number;
  pixels: Float32Array;
  oneHot: Float32Array;
  labels: Int32Array;
}

const BYTE_TO_UNIT = 1 / 255;

/**
 * Converts samples to a batch in one pass over their bytes: pixels scaled to [0, 1] and labels one-hot
 * encoded. It imports no TensorFlow, so that the batch worker can run it.
 */
export function toHostBatch(samples: readonly Sample[], size: number, numClasses: number): HostBatch {
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
  return { count: samples.length, pixels, oneHot, labels };
}
