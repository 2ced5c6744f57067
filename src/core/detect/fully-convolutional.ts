import * as tf from '@tensorflow/tfjs';
import { CascadeError } from '../errors.js';
import { NativeOps } from '../train/native-ops.js';

/**
 * One step of a fully convolutional net, applied to an NHWC batch. `positionStride` is the step
 * between the windows to evaluate, in units of the map that enters the first converted dense layer.
 */
type Step = (x: tf.Tensor4D, positionStride: number) => tf.Tensor4D;

/**
 * A detection net rewritten to scan a whole image in one pass. Every dense layer after `flatten`
 * becomes a convolution with the same weights: the first spans the flattened feature map and the
 * later ones are 1x1. Each output position is then the net's prediction for one window.
 */
export interface FullyConvolutionalNet {
  /** Side of the window the net was trained on, in pixels (12 for the 12-net). */
  readonly windowSize: number;
  /** Distance in input pixels between neighboring output positions: the product of all strides. */
  readonly stride: number;
  /**
   * Maps an image batch [n, h, w, 3] to class probabilities [n, rows, columns, classes], one position
   * per `step` input pixels: a multiple of `stride`, which it defaults to. Larger steps skip the
   * dense layers' work at the positions in between.
   */
  predict(images: tf.Tensor4D, step?: number): tf.Tensor4D;
  /**
   * Predicts only at some positions of the map that `predict(image, step)` would return: `positions`
   * contains row, column pairs. The dense layers run as matrix products on the gathered features, which
   * costs far less than `predict` when few positions are needed and the dense layers are wide.
   * Returns class probabilities [positions, classes]. Takes one image.
   */
  predictAt(image: tf.Tensor4D, positions: Int32Array, step?: number): tf.Tensor2D;
  /** Frees the reshaped dense kernels; the source model keeps its own weights. */
  dispose(): void;
}

function activation(name: unknown, layer: string): (x: tf.Tensor4D) => tf.Tensor4D {
  switch (name ?? 'linear') {
    case 'linear':
      return (x) => x;
    case 'relu':
      return (x) => tf.relu(x);
    case 'sigmoid':
      return (x) => tf.sigmoid(x);
    case 'tanh':
      return (x) => tf.tanh(x);
    case 'softmax':
      // Softmax over the last axis is the class axis for a dense layer and for its convolution.
      return (x) => tf.softmax(x);
    default:
      throw new CascadeError(
        `Layer "${layer}" has activation "${String(name)}", which the fully convolutional scanner does not support.`,
      );
  }
}

function pair(value: unknown): [number, number] {
  return Array.isArray(value) ? [value[0] as number, value[1] as number] : [value as number, value as number];
}

/**
 * Converts a sequential detection net (such as the 12-net: `conv1`, `pool1`, `flatten`, `fc1`,
 * `output`) to a fully convolutional net. Supports Conv2D, MaxPooling2D, AveragePooling2D,
 * Flatten, Dense, Activation and Dropout layers in a single chain without branches.
 */
export function toFullyConvolutional(model: tf.LayersModel): FullyConvolutionalNet {
  const inputShape = model.inputs[0]?.shape;
  if (model.inputs.length !== 1 || !inputShape || inputShape.length !== 4) {
    throw new CascadeError(`Model "${model.name}" must have one NHWC image input to scan fully convolutionally.`);
  }
  const windowSize = inputShape[1] as number;

  // On the native backend, convolutions add their bias in oneDNN's kernel (see NativeOps.conv2dBias).
  const native = NativeOps.forActiveBackend();
  const steps: Step[] = [];
  // The layers before `flatten`, and the layers after it as functions of a [windows, features] matrix.
  const trunk: Step[] = [];
  const head: Array<(x: tf.Tensor2D) => tf.Tensor2D> = [];
  let flattenSeen = false;
  const owned: tf.Tensor[] = [];
  let stride = 1;
  // Shape [h, w, c] of the feature map entering `flatten`, once it has been seen.
  let flattenedShape: [number, number, number] | undefined;
  let denseSeen = false;
  // Spatial size of the feature block that the first dense layer reads.
  let firstDenseShape: [number, number] | undefined;

  // A ReLU between a convolution and a max pooling moves after the pooling: the two commute, and the
  // pooled map is about a quarter of the size.
  const layers = model.layers.filter((layer) => layer.getClassName() !== 'Dropout');
  const reluAfterPool = new Set<tf.layers.Layer>();
  layers.forEach((layer, index) => {
    const next = layers[index + 1];
    if (
      layer.getClassName() === 'Conv2D' &&
      layer.getConfig().activation === 'relu' &&
      next?.getClassName() === 'MaxPooling2D'
    ) {
      reluAfterPool.add(layer);
      reluAfterPool.add(next);
    }
  });

  for (const layer of layers) {
    const className = layer.getClassName();
    const config = layer.getConfig();
    switch (className) {
      case 'InputLayer':
        break;
      case 'Conv2D': {
        const [kernel, bias] = layer.getWeights();
        const strides = pair(config.strides);
        const padding = config.padding as 'valid' | 'same';
        const act = activation(reluAfterPool.has(layer) ? 'linear' : config.activation, layer.name);
        stride *= strides[0];
        const nativePadding = padding === 'valid' ? 'VALID' : 'SAME';
        const step: Step = (x) => {
          if (native && bias && strides[0] === strides[1]) {
            return act(native.conv2dBias(x, kernel as tf.Tensor4D, bias, strides[0], nativePadding) as tf.Tensor4D);
          }
          const y = tf.conv2d(x, kernel as tf.Tensor4D, strides, padding);
          return act(bias ? tf.add(y, bias) : y);
        };
        steps.push(step);
        trunk.push(step);
        break;
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        const poolSize = pair(config.poolSize);
        const strides = pair(config.strides ?? config.poolSize);
        const padding = config.padding as 'valid' | 'same';
        stride *= strides[0];
        const relu = reluAfterPool.has(layer);
        const step: Step = (x) => {
          if (className === 'AveragePooling2D') {
            return tf.avgPool(x, poolSize, strides, padding);
          }
          const y =
            native && poolSize[0] === poolSize[1] && strides[0] === strides[1]
              ? (native.maxPoolInference(
                  x,
                  poolSize[0],
                  strides[0],
                  padding === 'valid' ? 'VALID' : 'SAME',
                ) as tf.Tensor4D)
              : tf.maxPool(x, poolSize, strides, padding);
          return relu ? tf.relu(y) : y;
        };
        steps.push(step);
        trunk.push(step);
        break;
      }
      case 'Flatten': {
        const shape = (layer.input as tf.SymbolicTensor).shape;
        flattenedShape = [shape[1] as number, shape[2] as number, shape[3] as number];
        flattenSeen = true;
        break;
      }
      case 'Dense': {
        const [kernel, bias] = layer.getWeights();
        if (!kernel) {
          throw new CascadeError(`Dense layer "${layer.name}" has no weights.`);
        }
        const units = kernel.shape[1] as number;
        const first = !denseSeen;
        denseSeen = true;
        // The first dense layer reads the flattened map: its rows are in h, w, c order (NHWC), so it
        // reshapes to an [h, w, c, units] kernel. Later dense layers become 1x1 convolutions.
        const [h, w, c] = flattenedShape ?? [1, 1, kernel.shape[0] as number];
        if (first) {
          firstDenseShape = [h, w];
        }
        flattenedShape = [1, 1, units];
        const convKernel = tf.reshape(kernel, [h, w, c, units]) as tf.Tensor4D;
        owned.push(convKernel);
        const act = activation(config.activation, layer.name);
        steps.push((x, positionStride) => {
          // Only the first converted layer moves across the map; the 1x1 layers after it keep its grid.
          const stride = first ? positionStride : 1;
          if (native && bias) {
            return act(native.conv2dBias(x, convKernel, bias, stride, 'VALID') as tf.Tensor4D);
          }
          const y = tf.conv2d(x, convKernel, stride, 'valid');
          return act(bias ? tf.add(y, bias) : y);
        });
        head.push((x) => {
          const y = tf.matMul(x, kernel as tf.Tensor2D);
          // The activations work on any rank; the 4D type only documents their use on maps.
          return act((bias ? tf.add(y, bias) : y) as unknown as tf.Tensor4D) as unknown as tf.Tensor2D;
        });
        break;
      }
      case 'Activation': {
        const act = activation(config.activation, layer.name);
        steps.push(act);
        if (flattenSeen) {
          head.push((x) => act(x as unknown as tf.Tensor4D) as unknown as tf.Tensor2D);
        } else {
          trunk.push(act);
        }
        break;
      }
      default:
        throw new CascadeError(
          `Layer "${layer.name}" (${className}) of model "${model.name}" cannot be scanned fully convolutionally; ` +
            'only a single chain of Conv2D, pooling, Flatten, Dense, Activation and Dropout layers can.',
        );
    }
  }

  return {
    windowSize,
    stride,
    predict(images, step = stride) {
      if (step % stride !== 0) {
        throw new CascadeError(`Scan step ${step} is not a multiple of the net's stride of ${stride} pixels.`);
      }
      return tf.tidy(() => steps.reduce((x, apply) => apply(x, step / stride), images));
    },
    predictAt(image, positions, step = stride) {
      if (step % stride !== 0) {
        throw new CascadeError(`Scan step ${step} is not a multiple of the net's stride of ${stride} pixels.`);
      }
      const [h, w] = firstDenseShape ?? [1, 1];
      const count = positions.length / 2;
      const ratio = step / stride;
      // gatherND indices [count, h, w, 3]: batch 0, then the feature row and column of each block cell.
      const indices = new Int32Array(count * h * w * 3);
      let at = 0;
      for (let i = 0; i < count; i += 1) {
        const row = (positions[2 * i] as number) * ratio;
        const column = (positions[2 * i + 1] as number) * ratio;
        for (let dy = 0; dy < h; dy += 1) {
          for (let dx = 0; dx < w; dx += 1) {
            indices[at + 1] = row + dy;
            indices[at + 2] = column + dx;
            at += 3;
          }
        }
      }
      return tf.tidy(() => {
        const features = trunk.reduce((x, apply) => apply(x, 1), image);
        const blocks = tf.gatherND(features, tf.tensor4d(indices, [count, h, w, 3], 'int32'));
        const flat = tf.reshape(blocks, [count, -1]) as tf.Tensor2D;
        return head.reduce((x, apply) => apply(x), flat);
      });
    },
    dispose() {
      for (const tensor of owned) {
        tensor.dispose();
      }
    },
  };
}
