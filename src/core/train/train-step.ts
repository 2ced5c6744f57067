import * as tf from '@tensorflow/tfjs';

// Probabilities are clipped before the log, as Keras does, so a confident mistake costs a finite loss.
const PROBABILITY_EPSILON = 1e-7;

/** Mean categorical cross-entropy between one-hot labels and softmax probabilities. */
export function crossEntropy(labels: tf.Tensor, probabilities: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const clipped = tf.clipByValue(probabilities, PROBABILITY_EPSILON, 1 - PROBABILITY_EPSILON);
    return tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.log(clipped)), -1))) as tf.Scalar;
  });
}

export interface TrainStepOptions {
  /** L2 coefficient on the conv and dense kernels (0 for none). */
  weightDecay: number;
}

/** Loss and number of correct predictions of one training step. */
export interface StepResult {
  loss: number;
  correct: number;
}

/**
 * Builds the function that runs one optimizer step on a batch. It updates only the trainable
 * weights (frozen branches stay fixed) and disposes every tensor it creates.
 */
export function createTrainStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  options: TrainStepOptions,
): (x: tf.Tensor, y: tf.Tensor) => StepResult {
  const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable);
  const kernels = model.trainableWeights
    .filter((weight) => weight.originalName.endsWith('/kernel'))
    .map((weight) => weight.read());

  return (x, y) => {
    let correct: tf.Tensor | undefined;
    const cost = tf.tidy((): tf.Scalar => {
      const minimized = optimizer.minimize(
        () => {
          const probabilities = model.apply(x, { training: true }) as tf.Tensor;
          correct = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(probabilities, -1), tf.argMax(y, -1)), 'int32')));
          const loss = crossEntropy(y, probabilities);
          if (options.weightDecay <= 0) {
            return loss;
          }
          const penalty = tf.addN(kernels.map((kernel) => tf.sum(tf.square(kernel))));
          return tf.add(loss, tf.mul(penalty, options.weightDecay)) as tf.Scalar;
        },
        true,
        variables,
      );
      return minimized ?? tf.scalar(Number.NaN);
    });
    const loss = cost.dataSync()[0] ?? Number.NaN;
    const correctCount = correct?.dataSync()[0] ?? 0;
    cost.dispose();
    correct?.dispose();
    return { loss, correct: correctCount };
  };
}
