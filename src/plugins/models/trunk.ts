import * as tf from '@tensorflow/tfjs';
import type { InitializerName } from '../../core/config/train-schema.js';
import { LocalResponseNormalization } from './lrn-layer.js';

/** One layer of a net's convolutional trunk, in order. */
export type TrunkLayer = { conv: { kernel: number; filters: number } } | 'pool' | 'norm';

export interface TrunkOptions {
  /** Layer name prefix, such as `net12_` for a frozen branch; empty for the net's own layers. */
  prefix: string;
  layers: readonly TrunkLayer[];
  /** Units of the fully connected layer `fc1` at the end of the trunk. */
  fcUnits: number;
  initializer: InitializerName;
  /** Base seed; each layer's initializer gets `seed + its index`, so builds are reproducible. */
  seed: number;
}

// Li et al. (2015): max-pooling with a 3x3 window and stride 2; convolutions with stride 1, no padding.
const POOL_SIZE = 3;
const POOL_STRIDE = 2;

/** Creates a kernel initializer by name with a fixed seed. */
export function kernelInitializer(name: InitializerName, seed: number): tf.serialization.Serializable {
  return tf.initializers[name]({ seed });
}

/**
 * Applies a trunk to `input`: convolutions (`conv1`, `conv2`), max-pooling (`pool1`, `pool2`),
 * normalization (`norm1`, `norm2`), then `flatten` and the dense `fc1` with ReLU. Layers are numbered
 * per kind in order of appearance and prefixed with `options.prefix`. Returns the `fc1` output.
 */
export function applyTrunk(input: tf.SymbolicTensor, options: TrunkOptions): tf.SymbolicTensor {
  const counts = { conv: 0, pool: 0, norm: 0 };
  let seed = options.seed;
  let x = input;
  for (const layer of options.layers) {
    if (layer === 'pool') {
      counts.pool += 1;
      x = tf.layers
        .maxPooling2d({ name: `${options.prefix}pool${counts.pool}`, poolSize: POOL_SIZE, strides: POOL_STRIDE })
        .apply(x) as tf.SymbolicTensor;
    } else if (layer === 'norm') {
      counts.norm += 1;
      x = new LocalResponseNormalization({ name: `${options.prefix}norm${counts.norm}` }).apply(x) as tf.SymbolicTensor;
    } else {
      counts.conv += 1;
      seed += 1;
      x = tf.layers
        .conv2d({
          name: `${options.prefix}conv${counts.conv}`,
          kernelSize: layer.conv.kernel,
          filters: layer.conv.filters,
          strides: 1,
          padding: 'valid',
          activation: 'relu',
          kernelInitializer: kernelInitializer(options.initializer, seed) as never,
        })
        .apply(x) as tf.SymbolicTensor;
    }
  }
  const flat = tf.layers.flatten({ name: `${options.prefix}flatten` }).apply(x) as tf.SymbolicTensor;
  return tf.layers
    .dense({
      name: `${options.prefix}fc1`,
      units: options.fcUnits,
      activation: 'relu',
      kernelInitializer: kernelInitializer(options.initializer, seed + 1) as never,
    })
    .apply(flat) as tf.SymbolicTensor;
}

/** Applies the softmax layer `output` over `numClasses` classes. */
export function applyOutput(
  features: tf.SymbolicTensor,
  numClasses: number,
  initializer: InitializerName,
  seed: number,
): tf.SymbolicTensor {
  return tf.layers
    .dense({
      name: 'output',
      units: numClasses,
      activation: 'softmax',
      kernelInitializer: kernelInitializer(initializer, seed) as never,
    })
    .apply(features) as tf.SymbolicTensor;
}

/** Halves the input side with 2x2 average pooling (48 to 24, 24 to 12) for a frozen smaller net. */
export function applyDownscale(input: tf.SymbolicTensor, prefix: string): tf.SymbolicTensor {
  return tf.layers
    .averagePooling2d({ name: `${prefix}downscale`, poolSize: 2, strides: 2 })
    .apply(input) as tf.SymbolicTensor;
}

/** Creates the `input` layer: RGB crops of side `size`, float32 in [0, 1], NHWC. */
export function cropInput(size: number): tf.SymbolicTensor {
  return tf.input({ name: 'input', shape: [size, size, 3], dtype: 'float32' });
}
