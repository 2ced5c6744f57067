import * as tf from '@tensorflow/tfjs';

interface Binding {
  TF_ATTR_TYPE: number;
  TF_ATTR_INT: number;
  TF_ATTR_FLOAT: number;
  TF_ATTR_BOOL: number;
  TF_ATTR_STRING: number;
  TF_ATTR_SHAPE: number;
  TF_FLOAT: number;
  TF_INT32: number;
}

interface OpAttr {
  name: string;
  type: number;
  value: unknown;
}

/** The parts of tfjs-node's `NodeJSKernelBackend` that run a TensorFlow op by name. */
interface NodeBackend {
  binding: Binding;
  executeSingleOutput(name: string, attrs: OpAttr[], inputs: tf.Tensor[]): tf.Tensor;
  executeMultipleOutputs(name: string, attrs: OpAttr[], inputs: tf.Tensor[], numOutputs: number): tf.Tensor[];
}

export type Padding = 'VALID' | 'SAME';

/** The forward results of local response normalization that its gradient reuses. */
export interface LrnParts {
  y: tf.Tensor;
  /** bias + alpha * (sum of squares over the channel window), one row per pixel. */
  norm: tf.Tensor;
  /** norm^-beta, one row per pixel. */
  scale: tf.Tensor;
}

/** Builds a [channels, channels] matrix holding `value` where the channels are at most `radius` apart. */
function bandMatrix(channels: number, radius: number, value: number): tf.Tensor {
  const values = new Float32Array(channels * channels);
  for (let row = 0; row < channels; row += 1) {
    for (let column = Math.max(0, row - radius); column <= Math.min(channels - 1, row + radius); column += 1) {
      values[row * channels + column] = value;
    }
  }
  return tf.tensor2d(values, [channels, channels]);
}

/** A max-pooling result with what its gradient needs. */
export interface Pooled {
  y: tf.Tensor;
  /** oneDNN's record of the winning positions, when the oneDNN kernel ran. */
  workspace?: tf.Tensor;
}

// TensorFlow registers its oneDNN kernels under this label; an op selects them with `_kernel`.
const ONEDNN_LABEL = 'MklNameChangeOp';

const instances = new WeakMap<object, NativeOps>();

// Resource variables need names unique in the process; TensorFlow's own eager variables do the same.
let resourceCount = 0;

/**
 * TensorFlow ops called by name on tfjs-node's native backend, one native call each, with none of
 * the tfjs kernel and gradient-tape bookkeeping. The outputs are ordinary tfjs tensors, so
 * `tf.tidy` disposes them. Shapes follow TensorFlow: NHWC images, HWIO conv kernels.
 *
 * Max pooling uses TensorFlow's oneDNN kernels when the library has them. Their gradient reads
 * the winning positions saved by the forward pass, where the plain `MaxPoolGrad` searches every
 * window again: 1.8 ms against 42 ms for the 48-net's first pooling on a batch of 64.
 */
export class NativeOps {
  readonly #backend: NodeBackend;
  readonly #binding: Binding;
  readonly #float: OpAttr;
  readonly oneDnnPooling: boolean;
  readonly oneDnnConvBias: boolean;

  private constructor(backend: NodeBackend) {
    this.#backend = backend;
    this.#binding = backend.binding;
    this.#float = { name: 'T', type: this.#binding.TF_ATTR_TYPE, value: this.#binding.TF_FLOAT };
    this.oneDnnPooling = this.#probeOneDnnPooling();
    this.oneDnnConvBias = this.#probeOneDnnConvBias();
  }

  /** The ops of the active backend, or undefined when it is not tfjs-node's native TensorFlow. */
  static forActiveBackend(): NativeOps | undefined {
    const name = tf.getBackend();
    if (name !== 'tensorflow') {
      return undefined;
    }
    const backend = tf.backend() as unknown as Partial<NodeBackend>;
    if (typeof backend.executeSingleOutput !== 'function' || typeof backend.executeMultipleOutputs !== 'function') {
      return undefined;
    }
    // One instance per backend, so the oneDNN probes run once, not for every net and optimizer.
    let ops = instances.get(backend as object);
    if (!ops) {
      ops = new NativeOps(backend as NodeBackend);
      instances.set(backend as object, ops);
    }
    return ops;
  }

  #run(name: string, attrs: OpAttr[], inputs: tf.Tensor[]): tf.Tensor {
    return this.#backend.executeSingleOutput(name, attrs, inputs);
  }

  #ints(name: string, value: number[]): OpAttr {
    return { name, type: this.#binding.TF_ATTR_INT, value };
  }

  #string(name: string, value: string): OpAttr {
    return { name, type: this.#binding.TF_ATTR_STRING, value };
  }

  #bool(name: string, value: boolean): OpAttr {
    return { name, type: this.#binding.TF_ATTR_BOOL, value };
  }

  #float32(name: string, value: number): OpAttr {
    return { name, type: this.#binding.TF_ATTR_FLOAT, value };
  }

  #index(name: string): OpAttr {
    return { name, type: this.#binding.TF_ATTR_TYPE, value: this.#binding.TF_INT32 };
  }

  #convAttrs(strides: number, padding: Padding): OpAttr[] {
    return [
      this.#float,
      this.#ints('strides', [1, strides, strides, 1]),
      this.#bool('use_cudnn_on_gpu', true),
      this.#string('padding', padding),
      this.#string('data_format', 'NHWC'),
      this.#ints('dilations', [1, 1, 1, 1]),
    ];
  }

  #poolAttrs(size: number, strides: number, padding: Padding): OpAttr[] {
    return [
      this.#float,
      this.#ints('ksize', [1, size, size, 1]),
      this.#ints('strides', [1, strides, strides, 1]),
      this.#string('padding', padding),
      this.#string('data_format', 'NHWC'),
    ];
  }

  #oneDnnPoolAttrs(size: number, strides: number, padding: Padding, workspace = true): OpAttr[] {
    return [
      ...this.#poolAttrs(size, strides, padding),
      this.#bool('workspace_enabled', workspace),
      this.#string('_kernel', ONEDNN_LABEL),
    ];
  }

  #probeOneDnnPooling(): boolean {
    try {
      return tf.tidy(() => {
        const x = tf.tensor4d([1, 3, 2, 4], [1, 2, 2, 1]);
        const [y] = this.#backend.executeMultipleOutputs(
          '_MklNativeMaxPool',
          this.#oneDnnPoolAttrs(2, 2, 'VALID'),
          [x],
          2,
        );
        return y?.dataSync()[0] === 4;
      });
    } catch {
      // Builds of TensorFlow without oneDNN (GPU builds among them) have no such op.
      return false;
    }
  }

  #oneDnnConvBiasAttrs(strides: number, padding: Padding): OpAttr[] {
    return [
      ...this.#convAttrs(strides, padding),
      this.#bool('is_filter_const', false),
      this.#string('_kernel', ONEDNN_LABEL),
    ];
  }

  #probeOneDnnConvBias(): boolean {
    try {
      return tf.tidy(() => {
        const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
        const kernel = tf.tensor4d([1, 1, 1, 1], [2, 2, 1, 1]);
        const bias = tf.tensor1d([0.5]);
        const y = this.#run('_MklNativeConv2DWithBias', this.#oneDnnConvBiasAttrs(1, 'VALID'), [x, kernel, bias]);
        return y.dataSync()[0] === 10.5;
      });
    } catch {
      return false;
    }
  }

  /**
   * Convolution plus bias. oneDNN's kernel adds the bias while the output is in cache, which took
   * 1.9 ms against 3.0 ms for `Conv2D` then `BiasAdd` on a 24-net batch of 64.
   */
  conv2dBias(x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor, strides: number, padding: Padding): tf.Tensor {
    if (this.oneDnnConvBias) {
      return this.#run('_MklNativeConv2DWithBias', this.#oneDnnConvBiasAttrs(strides, padding), [x, kernel, bias]);
    }
    return this.biasAdd(this.conv2d(x, kernel, strides, padding), bias);
  }

  conv2d(x: tf.Tensor, kernel: tf.Tensor, strides: number, padding: Padding): tf.Tensor {
    return this.#run('Conv2D', this.#convAttrs(strides, padding), [x, kernel]);
  }

  conv2dKernelGrad(x: tf.Tensor, kernelShape: number[], dy: tf.Tensor, strides: number, padding: Padding): tf.Tensor {
    const sizes = tf.tensor1d(kernelShape, 'int32');
    return this.#run('Conv2DBackpropFilter', this.#convAttrs(strides, padding), [x, sizes, dy]);
  }

  conv2dInputGrad(
    inputShape: number[],
    kernel: tf.Tensor,
    dy: tf.Tensor,
    strides: number,
    padding: Padding,
  ): tf.Tensor {
    const sizes = tf.tensor1d(inputShape, 'int32');
    return this.#run('Conv2DBackpropInput', this.#convAttrs(strides, padding), [sizes, kernel, dy]);
  }

  biasAdd(x: tf.Tensor, bias: tf.Tensor): tf.Tensor {
    return this.#run('BiasAdd', [this.#float, this.#string('data_format', 'NHWC')], [x, bias]);
  }

  biasGrad(dy: tf.Tensor): tf.Tensor {
    return this.#run('BiasAddGrad', [this.#float, this.#string('data_format', 'NHWC')], [dy]);
  }

  relu(x: tf.Tensor): tf.Tensor {
    return this.#run('Relu', [this.#float], [x]);
  }

  /** Gradient of ReLU; `y` may be the op's input or its output, which TensorFlow allows. */
  reluGrad(dy: tf.Tensor, y: tf.Tensor): tf.Tensor {
    return this.#run('ReluGrad', [this.#float], [dy, y]);
  }

  /**
   * Matrix product through `BatchMatMulV2`, as tfjs-node runs it. Plain `MatMul`, which TensorFlow
   * 2.21 hands to oneDNN in eager mode, corrupted the heap after a `Reshape` when the process ran
   * under `node --cpu-prof`.
   */
  matMul(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): tf.Tensor {
    return this.#run(
      'BatchMatMulV2',
      [this.#float, this.#bool('adj_x', transposeA), this.#bool('adj_y', transposeB)],
      [a, b],
    );
  }

  maxPool(x: tf.Tensor, size: number, strides: number, padding: Padding): Pooled {
    if (this.oneDnnPooling) {
      const [y, workspace] = this.#backend.executeMultipleOutputs(
        '_MklNativeMaxPool',
        this.#oneDnnPoolAttrs(size, strides, padding),
        [x],
        2,
      );
      return { y: y as tf.Tensor, workspace: workspace as tf.Tensor };
    }
    return { y: this.#run('MaxPool', this.#poolAttrs(size, strides, padding), [x]) };
  }

  /**
   * Max-pools for inference with oneDNN's kernel, without the workspace that its gradient reads. On
   * a 360x94x16 map it took 0.27 ms against 0.44 ms for TensorFlow's `MaxPool`.
   */
  maxPoolInference(x: tf.Tensor, size: number, strides: number, padding: Padding): tf.Tensor {
    if (this.oneDnnPooling) {
      const [y, workspace] = this.#backend.executeMultipleOutputs(
        '_MklNativeMaxPool',
        this.#oneDnnPoolAttrs(size, strides, padding, false),
        [x],
        2,
      );
      workspace?.dispose();
      return y as tf.Tensor;
    }
    return this.#run('MaxPool', this.#poolAttrs(size, strides, padding), [x]);
  }

  maxPoolGrad(x: tf.Tensor, pooled: Pooled, dy: tf.Tensor, size: number, strides: number, padding: Padding): tf.Tensor {
    if (pooled.workspace) {
      return this.#run('_MklNativeMaxPoolGrad', this.#oneDnnPoolAttrs(size, strides, padding), [
        x,
        pooled.y,
        dy,
        pooled.workspace,
      ]);
    }
    return this.#run('MaxPoolGrad', this.#poolAttrs(size, strides, padding), [x, pooled.y, dy]);
  }

  avgPool(x: tf.Tensor, size: number, strides: number, padding: Padding): tf.Tensor {
    return this.#run('AvgPool', this.#poolAttrs(size, strides, padding), [x]);
  }

  avgPoolGrad(inputShape: number[], dy: tf.Tensor, size: number, strides: number, padding: Padding): tf.Tensor {
    const shape = tf.tensor1d(inputShape, 'int32');
    return this.#run('AvgPoolGrad', this.#poolAttrs(size, strides, padding), [shape, dy]);
  }

  #lrnAttrs(depthRadius: number, bias: number, alpha: number, beta: number): OpAttr[] {
    return [
      this.#float,
      { name: 'depth_radius', type: this.#binding.TF_ATTR_INT, value: depthRadius },
      this.#float32('bias', bias),
      this.#float32('alpha', alpha),
      this.#float32('beta', beta),
    ];
  }

  #elementwise(
    name: 'Square' | 'Mul' | 'Div' | 'Sub' | 'AddV2' | 'Rsqrt' | 'Sqrt' | 'Reciprocal' | 'Pow',
    inputs: tf.Tensor[],
  ) {
    return this.#run(name, [this.#float], inputs);
  }

  /** x^-beta, with square roots for the usual betas: TensorFlow's `Pow` took 10 ms on a 48-net map. */
  #negativePower(x: tf.Tensor, beta: number): tf.Tensor {
    if (beta === 0.5) {
      return this.#elementwise('Rsqrt', [x]);
    }
    if (beta === 1) {
      return this.#elementwise('Reciprocal', [x]);
    }
    if (beta === 0.75) {
      const root = this.#elementwise('Rsqrt', [x]);
      return this.#elementwise('Mul', [root, this.#elementwise('Sqrt', [root])]);
    }
    return this.#elementwise('Pow', [x, tf.scalar(-beta)]);
  }

  /**
   * Local response normalization across channels for training, as matrix products with a band
   * matrix: n = bias + alpha * (x^2 @ band), y = x * n^-beta. Returns what `lrnBackward` needs.
   * The gradient from these parts took about half the time of TensorFlow's `LRNGrad`.
   */
  lrnForward(x: tf.Tensor, depthRadius: number, bias: number, alpha: number, beta: number): LrnParts {
    const channels = x.shape.at(-1) as number;
    const rows = this.reshape(x, [-1, channels]);
    const band = bandMatrix(channels, depthRadius, alpha);
    const norm = this.#elementwise('AddV2', [this.matMul(this.#elementwise('Square', [rows]), band), tf.scalar(bias)]);
    const scale = this.#negativePower(norm, beta);
    const y = this.reshape(this.#elementwise('Mul', [rows, scale]), x.shape);
    return { y, norm, scale };
  }

  /**
   * Gradient of `lrnForward`: dx = dy * n^-beta - 2 alpha beta * x * ((dy * y / n) @ band), the
   * band matrix being symmetric.
   */
  lrnBackward(dy: tf.Tensor, x: tf.Tensor, parts: LrnParts, depthRadius: number, alpha: number, beta: number) {
    const channels = x.shape.at(-1) as number;
    const rows = this.reshape(x, [-1, channels]);
    const dRows = this.reshape(dy, [-1, channels]);
    const ratio = this.#elementwise('Div', [
      this.#elementwise('Mul', [dRows, this.reshape(parts.y, [-1, channels])]),
      parts.norm,
    ]);
    const spread = this.matMul(ratio, bandMatrix(channels, depthRadius, 2 * alpha * beta));
    const dx = this.#elementwise('Sub', [
      this.#elementwise('Mul', [dRows, parts.scale]),
      this.#elementwise('Mul', [rows, spread]),
    ]);
    return this.reshape(dx, x.shape);
  }

  lrn(x: tf.Tensor, depthRadius: number, bias: number, alpha: number, beta: number): tf.Tensor {
    return this.#run('LRN', this.#lrnAttrs(depthRadius, bias, alpha, beta), [x]);
  }

  reshape(x: tf.Tensor, shape: number[]): tf.Tensor {
    const target = tf.tensor1d(shape, 'int32');
    return this.#run('Reshape', [this.#float, this.#index('Tshape')], [x, target]);
  }

  /** Joins 2-D tensors along their last axis. */
  concatColumns(parts: tf.Tensor[]): tf.Tensor {
    const axis = tf.scalar(1, 'int32');
    return this.#run(
      'ConcatV2',
      [this.#float, { name: 'N', type: this.#binding.TF_ATTR_INT, value: parts.length }, this.#index('Tidx')],
      [...parts, axis],
    );
  }

  /** Slices columns `[offset, offset + width)` out of a 2-D tensor. */
  columns(x: tf.Tensor, offset: number, width: number): tf.Tensor {
    const begin = tf.tensor1d([0, offset], 'int32');
    const size = tf.tensor1d([-1, width], 'int32');
    return this.#run('Slice', [this.#float, this.#index('Index')], [x, begin, size]);
  }

  /**
   * Creates a TensorFlow resource variable of float32 values set to `value`. tfjs treats the handle
   * as a string tensor, so pass it only to the resource methods below. Free it with
   * `destroyResource`, because disposing the handle alone leaves the variable allocated.
   */
  createResource(value: tf.Tensor): tf.Tensor {
    resourceCount += 1;
    const handle = this.#run(
      'VarHandleOp',
      [
        { name: 'dtype', type: this.#binding.TF_ATTR_TYPE, value: this.#binding.TF_FLOAT },
        { name: 'shape', type: this.#binding.TF_ATTR_SHAPE, value: value.shape },
        this.#string('container', ''),
        this.#string('shared_name', `cascade_resource_${process.pid}_${resourceCount}`),
      ],
      [],
    );
    this.assignResource(handle, value);
    return handle;
  }

  assignResource(handle: tf.Tensor, value: tf.Tensor): void {
    this.#backend.executeMultipleOutputs(
      'AssignVariableOp',
      [
        { name: 'dtype', type: this.#binding.TF_ATTR_TYPE, value: this.#binding.TF_FLOAT },
        this.#bool('validate_shape', true),
      ],
      [handle, value],
      0,
    );
  }

  /** Reads a resource variable into a tensor that later updates leave unchanged. */
  readResource(handle: tf.Tensor): tf.Tensor {
    return this.#run(
      'ReadVariableOp',
      [{ name: 'dtype', type: this.#binding.TF_ATTR_TYPE, value: this.#binding.TF_FLOAT }],
      [handle],
    );
  }

  destroyResource(handle: tf.Tensor): void {
    this.#backend.executeMultipleOutputs('DestroyResourceOp', [this.#bool('ignore_lookup_error', true)], [handle], 0);
    handle.dispose();
  }

  /**
   * One Adadelta step in TensorFlow's fused kernel, updating the three resource variables in place:
   * accumulated = rho * accumulated + (1 - rho) * g^2, then
   * update = sqrt(accumulatedUpdate + epsilon) / sqrt(accumulated + epsilon) * g,
   * value -= learningRate * update, accumulatedUpdate = rho * accumulatedUpdate + (1 - rho) * update^2.
   */
  applyAdadelta(
    value: tf.Tensor,
    accumulated: tf.Tensor,
    accumulatedUpdate: tf.Tensor,
    hyper: { learningRate: tf.Tensor; rho: tf.Tensor; epsilon: tf.Tensor },
    gradient: tf.Tensor,
  ): void {
    this.#backend.executeMultipleOutputs(
      'ResourceApplyAdadelta',
      [this.#float, this.#bool('use_locking', false)],
      [value, accumulated, accumulatedUpdate, hyper.learningRate, hyper.rho, hyper.epsilon, gradient],
      0,
    );
  }

  softmax(logits: tf.Tensor): tf.Tensor {
    return this.#run('Softmax', [this.#float], [logits]);
  }

  /** Per-row softmax cross-entropy of `logits` against one-hot `labels`, and its gradient. */
  softmaxCrossEntropy(logits: tf.Tensor, labels: tf.Tensor): { losses: tf.Tensor; gradient: tf.Tensor } {
    const [losses, gradient] = this.#backend.executeMultipleOutputs(
      'SoftmaxCrossEntropyWithLogits',
      [this.#float],
      [logits, labels],
      2,
    );
    return { losses: losses as tf.Tensor, gradient: gradient as tf.Tensor };
  }
}
