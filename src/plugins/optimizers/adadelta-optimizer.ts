import * as tf from '@tensorflow/tfjs';
import { NativeOps } from '../../core/train/native-ops.js';

/** A named tensor as tfjs optimizers save and restore their slots. */
type NamedTensor = { name: string; tensor: tf.Tensor };

/** The TensorFlow resource variables of one weight on the native path. */
interface ResourceSlots {
  size: number;
  /** Scratch copy of the weight that the fused kernel updates in place. */
  value: tf.Tensor;
  accumulatedGrad: tf.Tensor;
  accumulatedUpdate: tf.Tensor;
  /** Zeros of the weight's shape, which the tfjs variable holds while the kernel updates `value`. */
  placeholder: tf.Tensor;
  /** The tfjs variable's data after the last update: while it is unchanged, `value` holds it already. */
  lastDataId?: object;
}

/**
 * Adadelta as Zeiler (2012), algorithm 1, and Keras define it: the running mean of squared gradients
 * is updated before it scales the step. `tf.train.adadelta` in tfjs 4.22 divides by the previous
 * mean instead, so its first step is the raw gradient times the learning rate.
 *
 * On the native backend each variable is updated by TensorFlow's fused `ResourceApplyAdadelta`
 * kernel, one pass over the weights instead of about 13 tensor ops, each with its own pass and
 * buffer. The slots then live in TensorFlow resource variables. Elsewhere all gradients are
 * updated as one flat vector, so a step costs about 3n + 15 tensor ops for n variables instead of
 * about 13n. Checkpoints hold the slots as the same two flat vectors either way.
 */
export class AdadeltaOptimizer extends tf.Optimizer {
  static get className(): string {
    return 'CascadeAdadelta';
  }

  learningRate: number;
  readonly rho: number;
  readonly epsilon: number;
  /** Running means over all variables, flattened in the order of the first `applyGradients` call. */
  #accumulatedGrad: tf.Variable | undefined;
  #accumulatedUpdate: tf.Variable | undefined;
  /** The native ops, looked up on the first step; null when the backend is not native TensorFlow. */
  #ops: NativeOps | null | undefined;
  /** Per-variable resource slots of the native path, in the order of the first step. */
  #resources: ResourceSlots[] | undefined;

  constructor(learningRate: number, rho: number, epsilon: number) {
    super();
    this.learningRate = learningRate;
    this.rho = rho;
    this.epsilon = epsilon;
  }

  applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const entries = Array.isArray(variableGradients)
      ? variableGradients.map((item) => [item.name, item.tensor] as const)
      : Object.entries(variableGradients);
    const registered = tf.engine().registeredVariables;
    const pairs = entries.flatMap(([name, gradient]) => {
      const variable = registered[name];
      return variable && gradient ? [{ variable, gradient }] : [];
    });
    if (pairs.length === 0) {
      return;
    }
    const sizes = pairs.map(({ variable }) => variable.size);
    const total = sizes.reduce((sum, size) => sum + size, 0);
    this.#ops ??= NativeOps.forActiveBackend() ?? null;
    if (this.#ops) {
      this.#applyNative(this.#ops, pairs, total);
      this.incrementIterations();
      return;
    }
    if (this.#accumulatedGrad && this.#accumulatedGrad.size !== total) {
      throw new Error(
        `Error in AdadeltaOptimizer: its slots cover ${this.#accumulatedGrad.size} weights, but the gradients cover ${total}; ` +
          'use one optimizer per model.',
      );
    }
    this.#accumulatedGrad ??= tf.zeros([total]).variable(false);
    this.#accumulatedUpdate ??= tf.zeros([total]).variable(false);
    const accumulatedGrad = this.#accumulatedGrad;
    const accumulatedUpdate = this.#accumulatedUpdate;

    tf.tidy(() => {
      const gradient = tf.concat(pairs.map((pair) => tf.reshape(pair.gradient, [-1])));
      const newAccumulatedGrad = tf.add(tf.mul(accumulatedGrad, this.rho), tf.mul(tf.square(gradient), 1 - this.rho));
      // One square root of the quotient instead of the quotient of two roots: one full-size op fewer.
      const scale = tf.sqrt(tf.div(tf.add(accumulatedUpdate, this.epsilon), tf.add(newAccumulatedGrad, this.epsilon)));
      const update = tf.mul(scale, gradient);
      accumulatedGrad.assign(newAccumulatedGrad);
      accumulatedUpdate.assign(tf.add(tf.mul(accumulatedUpdate, this.rho), tf.mul(tf.square(update), 1 - this.rho)));

      const step = this.learningRate === 1 ? update : tf.mul(update, this.learningRate);
      const steps = tf.split(step, sizes);
      for (const [index, { variable }] of pairs.entries()) {
        variable.assign(tf.sub(variable, tf.reshape(steps[index] as tf.Tensor, variable.shape)));
      }
    });
    this.incrementIterations();
  }

  #applyNative(ops: NativeOps, pairs: Array<{ variable: tf.Variable; gradient: tf.Tensor }>, total: number): void {
    if (!this.#resources) {
      this.#resources = this.#createResources(ops, pairs, total);
    } else if (
      this.#resources.length !== pairs.length ||
      this.#resources.some((slot, i) => slot.size !== pairs[i]?.variable.size)
    ) {
      throw new Error(
        `Error in AdadeltaOptimizer: its slots cover ${this.#resources.length} weights, but it got gradients for ` +
          `${pairs.length} of other sizes; use one optimizer per model.`,
      );
    }
    const resources = this.#resources;
    tf.tidy(() => {
      const hyper = {
        learningRate: tf.scalar(this.learningRate),
        rho: tf.scalar(this.rho),
        epsilon: tf.scalar(this.epsilon),
      };
      for (const [index, { variable, gradient }] of pairs.entries()) {
        const slots = resources[index] as ResourceSlots;
        if (variable.dataId !== slots.lastDataId) {
          ops.assignResource(slots.value, variable);
        }
        // The kernel copies `value` before writing while another tensor shares its buffer, as the
        // tfjs variable does. Holding zeros meanwhile lets it update in place: 0.79 against 0.97 ms
        // on the 24-net's 5184x128 dense kernel. A clone of the weights keeps the old buffer intact.
        variable.assign(slots.placeholder);
        try {
          ops.applyAdadelta(slots.value, slots.accumulatedGrad, slots.accumulatedUpdate, hyper, gradient);
        } finally {
          variable.assign(ops.readResource(slots.value));
          slots.lastDataId = variable.dataId;
        }
      }
    });
  }

  /** Creates the resource slots, from the flat slot vectors of a checkpoint when there are some. */
  #createResources(
    ops: NativeOps,
    pairs: Array<{ variable: tf.Variable; gradient: tf.Tensor }>,
    total: number,
  ): ResourceSlots[] {
    const restoredGrad = this.#accumulatedGrad;
    const restoredUpdate = this.#accumulatedUpdate;
    if (restoredGrad && restoredGrad.size !== total) {
      throw new Error(
        `Error in AdadeltaOptimizer: its restored slots cover ${restoredGrad.size} weights, but the gradients cover ${total}; ` +
          'the checkpoint belongs to another model.',
      );
    }
    const sizes = pairs.map(({ variable }) => variable.size);
    const grads = restoredGrad ? tf.split(restoredGrad, sizes) : [];
    const updates = restoredUpdate ? tf.split(restoredUpdate, sizes) : [];
    const resources = pairs.map(({ variable }, index): ResourceSlots => {
      const [value, accumulatedGrad, accumulatedUpdate] = tf.tidy(() => {
        const zeros = tf.zeros(variable.shape);
        const grad = grads[index];
        const update = updates[index];
        // Kept: the first step runs inside the training step's tf.tidy.
        return [
          tf.keep(ops.createResource(variable)),
          tf.keep(ops.createResource(grad ? tf.reshape(grad, variable.shape) : zeros)),
          tf.keep(ops.createResource(update ? tf.reshape(update, variable.shape) : zeros)),
        ];
      }) as [tf.Tensor, tf.Tensor, tf.Tensor];
      const placeholder = tf.keep(tf.zeros(variable.shape));
      return { size: variable.size, value, accumulatedGrad, accumulatedUpdate, placeholder };
    });
    tf.dispose([...grads, ...updates]);
    tf.dispose([restoredGrad, restoredUpdate].filter((slot) => slot !== undefined));
    this.#accumulatedGrad = undefined;
    this.#accumulatedUpdate = undefined;
    return resources;
  }

  override dispose(): void {
    tf.dispose([this.#accumulatedGrad, this.#accumulatedUpdate].filter((slot) => slot !== undefined));
    this.#accumulatedGrad = undefined;
    this.#accumulatedUpdate = undefined;
    if (this.#resources && this.#ops) {
      for (const slots of this.#resources) {
        this.#ops.destroyResource(slots.value);
        this.#ops.destroyResource(slots.accumulatedGrad);
        this.#ops.destroyResource(slots.accumulatedUpdate);
        slots.placeholder.dispose();
      }
    }
    this.#resources = undefined;
  }

  override async getWeights(): Promise<NamedTensor[]> {
    const slots: NamedTensor[] = [];
    const ops = this.#ops;
    if (this.#resources && ops) {
      const resources = this.#resources;
      const [grad, update] = tf.tidy(() =>
        (['accumulatedGrad', 'accumulatedUpdate'] as const).map((slot) =>
          tf.concat(resources.map((slots) => tf.reshape(ops.readResource(slots[slot]), [-1]))),
        ),
      ) as [tf.Tensor, tf.Tensor];
      // Named as the flat path names them, so a checkpoint resumes on either path.
      slots.push({ name: 'accum_grad', tensor: grad });
      slots.push({ name: 'accum_var', tensor: update });
    } else if (this.#accumulatedGrad && this.#accumulatedUpdate) {
      slots.push({ name: 'accum_grad', tensor: this.#accumulatedGrad });
      slots.push({ name: 'accum_var', tensor: this.#accumulatedUpdate });
    }
    return [await this.saveIterations(), ...slots];
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const values = await this.extractIterations(weightValues);
    this.dispose();
    const [grad, update] = values;
    if (grad && update) {
      this.#accumulatedGrad = grad.tensor.variable(false);
      this.#accumulatedUpdate = update.tensor.variable(false);
    }
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, rho: this.rho, epsilon: this.epsilon };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new cls(config.learningRate, config.rho, config.epsilon);
  }
}

tf.serialization.registerClass(AdadeltaOptimizer);
