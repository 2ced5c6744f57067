import * as tf from '@tensorflow/tfjs';
import { type LrnParts, NativeOps, type Padding, type Pooled } from './native-ops.js';

/** A weight of a layer, as tfjs-layers stores it. */
export interface LayerWeight {
  readonly name: string;
  read(): tf.Variable;
}

type Activation = 'relu' | 'linear';

/** One layer of a net, in the forms the native step can run forwards and backwards. */
export type Step =
  | { kind: 'input' }
  | {
      kind: 'conv';
      kernel: LayerWeight;
      bias?: LayerWeight;
      activation: Activation;
      strides: number;
      padding: Padding;
    }
  | { kind: 'dense'; kernel: LayerWeight; bias?: LayerWeight; activation: Activation }
  | {
      kind: 'maxPool' | 'avgPool';
      size: number;
      strides: number;
      padding: Padding;
      /** ReLU after pooling, moved here from the convolution before it (see `poolBeforeRelu`). */
      relu?: boolean;
    }
  | { kind: 'lrn'; depthRadius: number; bias: number; alpha: number; beta: number }
  | { kind: 'flatten' }
  | { kind: 'concat' };

export interface Node {
  name: string;
  step: Step;
  inputs: number[];
  /** Whether this layer's weights are updated. */
  trainable: boolean;
  /** Whether a gradient has to flow into this node's output: it or a layer before it is trainable. */
  needsGradient: boolean;
}

/** The layers of a net in order of computation, with the `output` layer split off. */
export interface Plan {
  nodes: Node[];
  /** The dense softmax layer whose logits the loss starts from. */
  output: { input: number; kernel: LayerWeight; bias?: LayerWeight; trainable: boolean };
}

/**
 * Returns the native ops of the active backend with the plan of `model`, or the reason why the
 * model cannot run on them: a backend other than native TensorFlow, or an unsupported layer.
 */
export function planNative(model: tf.LayersModel): (Plan & { ops: NativeOps }) | string {
  const ops = NativeOps.forActiveBackend();
  if (!ops) {
    return `the backend "${tf.getBackend()}" is not native TensorFlow`;
  }
  const planned = plan(model);
  return typeof planned === 'string' ? planned : { ...planned, ops };
}

/** Tensors that the forward pass keeps for the backward pass of one node. */
export interface Saved {
  y: tf.Tensor;
  pooled?: Pooled;
  lrn?: LrnParts;
}

interface LayerInternals {
  kernel?: LayerWeight;
  bias?: LayerWeight;
  inboundNodes: Array<{ inboundLayers: tf.layers.Layer[] }>;
}

function single(value: unknown, property: string): number {
  const values = Array.isArray(value) ? value : [value];
  const first = values[0];
  if (typeof first !== 'number' || values.some((item) => item !== first)) {
    throw new Unsupported(`${property} ${JSON.stringify(value)} is not square`);
  }
  return first;
}

class Unsupported extends Error {}

function padding(value: unknown): Padding {
  if (value === 'valid' || value === 'same') {
    return value === 'valid' ? 'VALID' : 'SAME';
  }
  throw new Unsupported(`padding "${String(value)}"`);
}

function activation(value: unknown, layer: string): Activation {
  if (value === 'relu' || value === 'linear') {
    return value;
  }
  throw new Unsupported(`activation "${String(value)}" of layer "${layer}"`);
}

/** Describes one layer, or throws `Unsupported`. */
function describe(layer: tf.layers.Layer): Step {
  const config = layer.getConfig();
  const internals = layer as unknown as LayerInternals;
  if (config.dataFormat !== undefined && config.dataFormat !== 'channelsLast') {
    throw new Unsupported(`data format "${String(config.dataFormat)}" of layer "${layer.name}"`);
  }
  switch (layer.getClassName()) {
    case 'InputLayer':
      return { kind: 'input' };
    case 'Conv2D': {
      if (single(config.dilationRate ?? 1, 'dilation') !== 1 || !internals.kernel) {
        throw new Unsupported(`dilated convolution "${layer.name}"`);
      }
      return {
        kind: 'conv',
        kernel: internals.kernel,
        ...(internals.bias ? { bias: internals.bias } : {}),
        activation: activation(config.activation, layer.name),
        strides: single(config.strides, 'stride'),
        padding: padding(config.padding),
      };
    }
    case 'Dense':
      // tfjs applies a dense layer to the last axis of any input; the step handles matrices only.
      if ((layer.input as tf.SymbolicTensor).shape.length !== 2) {
        throw new Unsupported(
          `dense layer "${layer.name}" on an input of rank ${(layer.input as tf.SymbolicTensor).shape.length}`,
        );
      }
      if (!internals.kernel) {
        throw new Unsupported(`dense layer "${layer.name}" without a kernel`);
      }
      return {
        kind: 'dense',
        kernel: internals.kernel,
        ...(internals.bias ? { bias: internals.bias } : {}),
        activation: activation(config.activation, layer.name),
      };
    case 'MaxPooling2D':
    case 'AveragePooling2D':
      return {
        kind: layer.getClassName() === 'MaxPooling2D' ? 'maxPool' : 'avgPool',
        size: single(config.poolSize, 'pool size'),
        strides: single(config.strides ?? config.poolSize, 'pool stride'),
        padding: padding(config.padding),
      };
    case 'LocalResponseNormalization':
      return {
        kind: 'lrn',
        depthRadius: config.depthRadius as number,
        bias: config.bias as number,
        alpha: config.alpha as number,
        beta: config.beta as number,
      };
    case 'Flatten':
      return { kind: 'flatten' };
    case 'Concatenate':
      if (config.axis !== -1 && config.axis !== 1) {
        throw new Unsupported(`concatenation on axis ${String(config.axis)}`);
      }
      return { kind: 'concat' };
    default:
      throw new Unsupported(`layer type ${layer.getClassName()} ("${layer.name}")`);
  }
}

/** Orders the model's layers for the native step, or returns the reason it cannot run the model. */
export function plan(model: tf.LayersModel): Plan | string {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    return 'the model has more than one input or output';
  }
  const outputLayer = model.outputs[0]?.sourceLayer as tf.layers.Layer;
  const outputConfig = outputLayer.getConfig();
  const outputInternals = outputLayer as unknown as LayerInternals;
  if (outputLayer.getClassName() !== 'Dense' || outputConfig.activation !== 'softmax' || !outputInternals.kernel) {
    return 'its output is not a dense softmax layer';
  }
  if ((outputLayer.input as tf.SymbolicTensor).shape.length !== 2) {
    return 'its output layer reads an input of more than two dimensions';
  }
  const nodes: Node[] = [];
  const indexOf = new Map<tf.layers.Layer, number>();
  const visit = (layer: tf.layers.Layer): number => {
    const known = indexOf.get(layer);
    if (known !== undefined) {
      return known;
    }
    const internals = layer as unknown as LayerInternals;
    if (internals.inboundNodes.length !== 1) {
      throw new Unsupported(`layer "${layer.name}" is applied ${internals.inboundNodes.length} times`);
    }
    const inputs = (internals.inboundNodes[0]?.inboundLayers ?? []).map(visit);
    const step = describe(layer);
    const trainable = layer.trainable && layer.trainableWeights.length > 0;
    const needsGradient = trainable || inputs.some((input) => nodes[input]?.needsGradient);
    nodes.push({ name: layer.name, step, inputs, trainable, needsGradient });
    indexOf.set(layer, nodes.length - 1);
    return nodes.length - 1;
  };
  try {
    const [outputInput] = (outputInternals.inboundNodes[0]?.inboundLayers ?? []).map(visit);
    if (outputInput === undefined) {
      return 'its output layer has no input';
    }
    poolBeforeRelu(nodes, outputInput);
    return {
      nodes,
      output: {
        input: outputInput,
        kernel: outputInternals.kernel,
        ...(outputInternals.bias ? { bias: outputInternals.bias } : {}),
        trainable: outputLayer.trainable,
      },
    };
  } catch (error) {
    if (error instanceof Unsupported) {
      return `it has a ${error.message}`;
    }
    throw error;
  }
}

/**
 * Moves the ReLU of each convolution whose only consumer is a max-pooling layer to after the
 * pooling. The two commute, because ReLU never changes which value is largest, and so do their
 * gradients. The pooled map is about a quarter of the size: on the 24-net that saves over 1 ms of
 * a 10 ms step.
 */
function poolBeforeRelu(nodes: Node[], outputInput: number): void {
  const consumers = nodes.map(() => 0);
  consumers[outputInput] = 1;
  for (const node of nodes) {
    for (const input of node.inputs) {
      consumers[input] = (consumers[input] as number) + 1;
    }
  }
  for (const pool of nodes) {
    const conv = nodes[pool.inputs[0] as number];
    if (
      pool.step.kind === 'maxPool' &&
      conv?.step.kind === 'conv' &&
      conv.step.activation === 'relu' &&
      consumers[pool.inputs[0] as number] === 1
    ) {
      conv.step = { ...conv.step, activation: 'linear' };
      pool.step = { ...pool.step, relu: true };
    }
  }
}

/**
 * Runs the nodes in order on `x`. For training, local response normalization keeps the parts its
 * hand-written gradient reuses; for inference it is TensorFlow's own `LRN` op.
 */
export function forward(ops: NativeOps, nodes: readonly Node[], x: tf.Tensor, training: boolean): Saved[] {
  const saved: Saved[] = [];
  for (const node of nodes) {
    const input = node.inputs.map((index) => (saved[index] as Saved).y);
    const [first] = input as [tf.Tensor];
    const step = node.step;
    switch (step.kind) {
      case 'input':
        saved.push({ y: x });
        break;
      case 'conv':
      case 'dense': {
        let y: tf.Tensor;
        if (step.kind === 'conv') {
          y = step.bias
            ? ops.conv2dBias(first, step.kernel.read(), step.bias.read(), step.strides, step.padding)
            : ops.conv2d(first, step.kernel.read(), step.strides, step.padding);
        } else {
          y = ops.matMul(first, step.kernel.read());
          y = step.bias ? ops.biasAdd(y, step.bias.read()) : y;
        }
        saved.push({ y: step.activation === 'relu' ? ops.relu(y) : y });
        break;
      }
      case 'maxPool': {
        if (!training) {
          const y = ops.maxPoolInference(first, step.size, step.strides, step.padding);
          saved.push({ y: step.relu ? ops.relu(y) : y });
          break;
        }
        const pooled = ops.maxPool(first, step.size, step.strides, step.padding);
        saved.push({ y: step.relu ? ops.relu(pooled.y) : pooled.y, pooled });
        break;
      }
      case 'avgPool':
        saved.push({ y: ops.avgPool(first, step.size, step.strides, step.padding) });
        break;
      case 'lrn':
        if (training && node.needsGradient) {
          const lrn = ops.lrnForward(first, step.depthRadius, step.bias, step.alpha, step.beta);
          saved.push({ y: lrn.y, lrn });
        } else {
          saved.push({ y: ops.lrn(first, step.depthRadius, step.bias, step.alpha, step.beta) });
        }
        break;
      case 'flatten':
        saved.push({ y: ops.reshape(first, [first.shape[0] as number, -1]) });
        break;
      case 'concat':
        saved.push({ y: ops.concatColumns(input) });
        break;
    }
  }
  return saved;
}

/**
 * Builds a function that maps crops [n, size, size, 3] to class probabilities [n, classes] with
 * the same native ops as the training step, or returns the reason it cannot run the model. Each
 * call disposes every tensor it creates except the result.
 */
export function createNativePredictor(model: tf.LayersModel): ((x: tf.Tensor) => tf.Tensor) | string {
  const planned = planNative(model);
  if (typeof planned === 'string') {
    return planned;
  }
  const { ops, nodes, output } = planned;
  return (x) =>
    tf.tidy(() => {
      const saved = forward(ops, nodes, x, false);
      let logits = ops.matMul((saved[output.input] as Saved).y, output.kernel.read());
      if (output.bias) {
        logits = ops.biasAdd(logits, output.bias.read());
      }
      return ops.softmax(logits);
    });
}
