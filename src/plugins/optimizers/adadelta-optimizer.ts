import * as tf from '@tensorflow/tfjs';

/** A named tensor as tfjs optimizers save and restore their slots. */
type NamedTensor = { name: string; tensor: tf.Tensor };

/**
 * Adadelta as Zeiler (2012), algorithm 1, and Keras define it: the running mean of squared gradients
 * is updated before it scales the step. `tf.train.adadelta` in tfjs 4.22 divides by the previous
 * mean instead, so its first step is the raw gradient times the learning rate.
 *
 * All gradients are updated as one flat vector, so a step costs about 3n + 15 tensor ops for n
 * variables instead of about 13n. On the native backend every op has a fixed cost, which this saves
 * on the small nets.
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

  override dispose(): void {
    tf.dispose([this.#accumulatedGrad, this.#accumulatedUpdate].filter((slot) => slot !== undefined));
    this.#accumulatedGrad = undefined;
    this.#accumulatedUpdate = undefined;
  }

  override async getWeights(): Promise<NamedTensor[]> {
    const slots: NamedTensor[] = [];
    if (this.#accumulatedGrad && this.#accumulatedUpdate) {
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
