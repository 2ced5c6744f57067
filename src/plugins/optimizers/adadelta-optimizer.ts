import * as tf from '@tensorflow/tfjs';

/** A named tensor as tfjs optimizers save and restore their slots. */
type NamedTensor = { name: string; tensor: tf.Tensor };

interface Slot {
  originalName: string;
  variable: tf.Variable;
}

/**
 * Adadelta as Zeiler (2012), algorithm 1, and Keras define it: the running mean of squared gradients
 * is updated before it scales the step. `tf.train.adadelta` in tfjs 4.22 divides by the previous
 * mean instead, so its first step is the raw gradient times the learning rate; this class exists to
 * match the reference behaviour.
 */
export class AdadeltaOptimizer extends tf.Optimizer {
  static get className(): string {
    return 'CascadeAdadelta';
  }

  learningRate: number;
  readonly rho: number;
  readonly epsilon: number;
  #accumulatedGrads: Slot[] = [];
  #accumulatedUpdates: Slot[] = [];

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
    const variables = tf.engine().registeredVariables;

    for (const [index, [name, gradient]] of entries.entries()) {
      const value = variables[name];
      if (!value || !gradient) {
        continue;
      }
      this.#accumulatedGrads[index] ??= zeroSlot(`${name}/accum_grad`, value);
      this.#accumulatedUpdates[index] ??= zeroSlot(`${name}/accum_var`, value);
      const accumulatedGrad = this.#accumulatedGrads[index].variable;
      const accumulatedUpdate = this.#accumulatedUpdates[index].variable;

      tf.tidy(() => {
        const newAccumulatedGrad = tf.add(tf.mul(accumulatedGrad, this.rho), tf.mul(tf.square(gradient), 1 - this.rho));
        const update = tf.mul(
          tf.div(tf.sqrt(tf.add(accumulatedUpdate, this.epsilon)), tf.sqrt(tf.add(newAccumulatedGrad, this.epsilon))),
          gradient,
        );
        accumulatedGrad.assign(newAccumulatedGrad);
        accumulatedUpdate.assign(tf.add(tf.mul(accumulatedUpdate, this.rho), tf.mul(tf.square(update), 1 - this.rho)));
        value.assign(tf.sub(value, tf.mul(update, this.learningRate)));
      });
    }
    this.incrementIterations();
  }

  override dispose(): void {
    tf.dispose([...this.#accumulatedGrads, ...this.#accumulatedUpdates].map((slot) => slot.variable));
    this.#accumulatedGrads = [];
    this.#accumulatedUpdates = [];
  }

  override async getWeights(): Promise<NamedTensor[]> {
    const slots = [...this.#accumulatedGrads, ...this.#accumulatedUpdates];
    return [await this.saveIterations(), ...slots.map((slot) => ({ name: slot.originalName, tensor: slot.variable }))];
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const values = await this.extractIterations(weightValues);
    const count = values.length / 2;
    this.dispose();
    const toSlot = (item: NamedTensor): Slot => ({ originalName: item.name, variable: item.tensor.variable(false) });
    this.#accumulatedGrads = values.slice(0, count).map(toSlot);
    this.#accumulatedUpdates = values.slice(count).map(toSlot);
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

function zeroSlot(originalName: string, value: tf.Variable): Slot {
  return { originalName, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
}

tf.serialization.registerClass(AdadeltaOptimizer);
