import * as tf from '@tensorflow/tfjs';
import { useNativeReluGradient } from './native-relu-grad.js';
import { countCorrect, createNativeTrainStep } from './native-train-step.js';

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
 *
 * The loss is the softmax cross-entropy of the `output` layer's logits, which equals the
 * cross-entropy of its softmax probabilities, as Keras also computes it. Starting from the
 * logits saves the softmax, clip and log gradients, which cost more time than the 12-net's
 * convolution on a small batch.
 */
export function createTrainStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  options: TrainStepOptions,
): (x: tf.Tensor, y: tf.Tensor, labels: Int32Array) => StepResult {
  const native = createNativeTrainStep(model, optimizer, options);
  if (typeof native !== 'string') {
    return native;
  }
  useNativeReluGradient();
  const output = model.getLayer('output');
  const [outputKernel, outputBias] = output.trainableWeights.map((weight) => weight.read());
  if (!outputKernel || !outputBias) {
    throw new Error(
      `Error in createTrainStep: the "output" layer of "${model.name}" has no trainable kernel and bias.`,
    );
  }
  const features = tf.model({ inputs: model.inputs, outputs: output.input as tf.SymbolicTensor });
  const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable);
  const kernels = model.trainableWeights
    .filter((weight) => weight.originalName.endsWith('/kernel'))
    .map((weight) => weight.read());

  return (x, y, labels) => {
    let logits: tf.Tensor | undefined;
    const cost = tf.tidy((): tf.Scalar => {
      const minimized = optimizer.minimize(
        () => {
          const hidden = features.apply(x, { training: true }) as tf.Tensor2D;
          const scores = tf.fused.matMul({ a: hidden, b: outputKernel as tf.Tensor2D, bias: outputBias });
          logits = tf.keep(scores);
          const loss = tf.losses.softmaxCrossEntropy(y, scores) as tf.Scalar;
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
    const correct = logits ? countCorrect(logits.dataSync() as Float32Array, labels) : 0;
    cost.dispose();
    logits?.dispose();
    return { loss, correct };
  };
}
