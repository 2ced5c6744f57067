import type * as tf from '@tensorflow/tfjs';
import type { Optimizer } from '../../core/optimizer.js';
import { type Schedule, scheduledRate } from './schedule.js';

export interface ScheduledOptimizerOptions {
  name: string;
  learningRate: number;
  schedule?: Schedule;
  weightDecay: number;
  /** Creates the tfjs optimizer with a given learning rate. */
  factory: (learningRate: number) => tf.Optimizer;
}

/** An optimizer plugin instance: a tfjs optimizer factory with a schedule and weight decay. */
export class ScheduledOptimizer implements Optimizer {
  readonly name: string;
  readonly weightDecay: number;
  readonly #options: ScheduledOptimizerOptions;

  constructor(options: ScheduledOptimizerOptions) {
    this.name = options.name;
    this.weightDecay = options.weightDecay;
    this.#options = options;
  }

  create(): tf.Optimizer {
    return this.#options.factory(this.#options.learningRate);
  }

  learningRateAt(epoch: number): number | undefined {
    const { schedule, learningRate } = this.#options;
    return schedule ? scheduledRate(learningRate, schedule, epoch) : undefined;
  }
}

/**
 * Sets the learning rate of a tfjs optimizer. SGD and momentum cache the rate and expose
 * `setLearningRate`; Adadelta, Adam, RMSProp and Adagrad read the `learningRate` field on every step.
 */
export function setLearningRate(optimizer: tf.Optimizer, rate: number): void {
  const target = optimizer as unknown as { setLearningRate?: (rate: number) => void; learningRate?: number };
  if (typeof target.setLearningRate === 'function') {
    target.setLearningRate(rate);
    return;
  }
  target.learningRate = rate;
}
