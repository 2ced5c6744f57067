import type * as tf from '@tensorflow/tfjs';

/** A training optimizer with an optional learning-rate schedule and weight decay. */
export interface Optimizer {
  readonly name: string;
  /** Creates the tfjs optimizer; called once per training run. */
  create(): tf.Optimizer;
  /** Learning rate for an epoch (0-based), or undefined when the rate is constant. */
  learningRateAt?(epoch: number): number | undefined;
  /** L2 weight decay coefficient added to the loss (0 for none). */
  readonly weightDecay: number;
}
