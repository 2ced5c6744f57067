import * as tf from '@tensorflow/tfjs';
import { forward, type Node, planNative, type Saved } from './native-net.js';
import type { LrnParts, Pooled } from './native-ops.js';
import type { StepResult, TrainStepOptions } from './train-step.js';

/**
 * Builds a training step that runs the net's forward and backward passes as TensorFlow ops on the
 * native backend, with the gradients written out by hand. A 12-net step takes about 25 native
 * calls, where the tfjs-layers step makes over 100 tfjs kernel calls. The optimizer still gets the
 * gradients through `applyGradients`, so every optimizer plugin works.
 *
 * Returns a reason instead when the backend is not native TensorFlow or the net has a layer the
 * step cannot differentiate (the six nets of the cascade have none). The caller then falls back
 * to tfjs's automatic gradients.
 */
export function createNativeTrainStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  options: TrainStepOptions,
): ((x: tf.Tensor, y: tf.Tensor, labels: Int32Array) => StepResult) | string {
  const planned = planNative(model);
  if (typeof planned === 'string') {
    return planned;
  }
  const { ops, nodes, output } = planned;
  const decayed = [
    ...nodes.flatMap((node) =>
      node.trainable && (node.step.kind === 'conv' || node.step.kind === 'dense') ? [node.step.kernel] : [],
    ),
    ...(output.trainable ? [output.kernel] : []),
  ];

  const order = model.trainableWeights.map((weight) => (weight.read() as tf.Variable).name);

  const backward = (saved: Saved[], outputGradient: tf.Tensor, gradients: tf.NamedTensorMap): void => {
    const incoming: Array<tf.Tensor | undefined> = new Array(nodes.length);
    // Max pooling sends each pooled gradient to one input position, so the per-channel sums of its
    // input gradient equal those of its output gradient, a quarter of the size. A convolution whose
    // only consumer is the pooling takes its bias gradient from these.
    const pooledGradients: Array<tf.Tensor | undefined> = new Array(nodes.length);
    const send = (index: number, gradient: tf.Tensor): void => {
      const previous = incoming[index];
      incoming[index] = previous ? tf.add(previous, gradient) : gradient;
    };
    send(output.input, outputGradient);
    for (let index = nodes.length - 1; index >= 0; index -= 1) {
      const node = nodes[index] as Node;
      const dy = incoming[index];
      if (!dy || !node.needsGradient) {
        continue;
      }
      const inputIndex = node.inputs[0] as number;
      const inputNeedsGradient = node.inputs.some((input) => nodes[input]?.needsGradient);
      const x = saved[inputIndex]?.y as tf.Tensor;
      const y = (saved[index] as Saved).y;
      const step = node.step;
      switch (step.kind) {
        case 'input':
          break;
        case 'conv':
        case 'dense': {
          const dz = step.activation === 'relu' ? ops.reluGrad(dy, y) : dy;
          const kernel = step.kernel.read();
          if (node.trainable) {
            gradients[kernel.name] =
              step.kind === 'conv'
                ? ops.conv2dKernelGrad(x, kernel.shape, dz, step.strides, step.padding)
                : ops.matMul(x, dz, true, false);
            if (step.bias) {
              gradients[step.bias.read().name] = ops.biasGrad(pooledGradients[index] ?? dz);
            }
          }
          if (inputNeedsGradient) {
            send(
              inputIndex,
              step.kind === 'conv'
                ? ops.conv2dInputGrad(x.shape, kernel, dz, step.strides, step.padding)
                : ops.matMul(dz, kernel, false, true),
            );
          }
          break;
        }
        case 'maxPool':
          if (inputNeedsGradient) {
            const pooled = (saved[index] as Saved).pooled as Pooled;
            const dPooled = step.relu ? ops.reluGrad(dy, y) : dy;
            send(inputIndex, ops.maxPoolGrad(x, pooled, dPooled, step.size, step.strides, step.padding));
            if (step.relu) {
              // Set only where poolBeforeRelu found the convolution's single consumer.
              pooledGradients[inputIndex] = dPooled;
            }
          }
          break;
        case 'avgPool':
          if (inputNeedsGradient) {
            send(inputIndex, ops.avgPoolGrad(x.shape, dy, step.size, step.strides, step.padding));
          }
          break;
        case 'lrn':
          if (inputNeedsGradient) {
            const parts = (saved[index] as Saved).lrn as LrnParts;
            send(inputIndex, ops.lrnBackward(dy, x, parts, step.depthRadius, step.alpha, step.beta));
          }
          break;
        case 'flatten':
          if (inputNeedsGradient) {
            send(inputIndex, ops.reshape(dy, x.shape));
          }
          break;
        case 'concat': {
          let offset = 0;
          for (const input of node.inputs) {
            const width = (saved[input] as Saved).y.shape[1] as number;
            if (nodes[input]?.needsGradient) {
              send(input, ops.columns(dy, offset, width));
            }
            offset += width;
          }
          break;
        }
      }
    }
  };

  return (x, y, labels) => {
    let logitsKept: tf.Tensor | undefined;
    const cost = tf.tidy((): tf.Scalar => {
      const saved = forward(ops, nodes, x, true);
      const features = (saved[output.input] as Saved).y;
      const kernel = output.kernel.read();
      let logits = ops.matMul(features, kernel);
      if (output.bias) {
        logits = ops.biasAdd(logits, output.bias.read());
      }
      logitsKept = tf.keep(logits);
      const { losses, gradient } = ops.softmaxCrossEntropy(logits, y.dtype === 'float32' ? y : tf.cast(y, 'float32'));
      const batch = x.shape[0] as number;
      const dLogits = tf.div(gradient, batch);
      let loss = tf.mean(losses) as tf.Scalar;

      const gradients: tf.NamedTensorMap = {};
      if (output.trainable) {
        gradients[kernel.name] = ops.matMul(features, dLogits, true, false);
        if (output.bias) {
          gradients[output.bias.read().name] = ops.biasGrad(dLogits);
        }
      }
      if (nodes[output.input]?.needsGradient) {
        backward(saved, ops.matMul(dLogits, kernel, false, true), gradients);
      }

      if (options.weightDecay > 0) {
        // The penalty weightDecay * sum(w^2) adds 2 * weightDecay * w to each kernel's gradient.
        const weights = decayed.map((weight) => weight.read());
        loss = tf.add(loss, tf.mul(tf.addN(weights.map((weight) => tf.sum(tf.square(weight)))), options.weightDecay));
        for (const weight of weights) {
          const gradient = gradients[weight.name];
          if (gradient) {
            gradients[weight.name] = tf.add(gradient, tf.mul(weight, 2 * options.weightDecay));
          }
        }
      }
      // In the model's order of weights, as the tfjs-layers step passes them, so optimizers that
      // keep their state by position (the cascade's Adadelta) resume either step's checkpoints.
      const ordered: tf.NamedTensorMap = {};
      for (const name of order) {
        const gradient = gradients[name];
        if (gradient) {
          ordered[name] = gradient;
        }
      }
      optimizer.applyGradients(ordered);
      return loss;
    });
    const loss = cost.dataSync()[0] ?? Number.NaN;
    const correct = logitsKept ? countCorrect(logitsKept.dataSync() as Float32Array, labels) : 0;
    cost.dispose();
    logitsKept?.dispose();
    return { loss, correct };
  };
}

/** Counts rows whose largest score is at the label's index. */
export function countCorrect(scores: Float32Array, labels: Int32Array): number {
  const classes = scores.length / labels.length;
  let correct = 0;
  for (let row = 0; row < labels.length; row += 1) {
    let best = 0;
    for (let column = 1; column < classes; column += 1) {
      if ((scores[row * classes + column] as number) > (scores[row * classes + best] as number)) {
        best = column;
      }
    }
    if (best === labels[row]) {
      correct += 1;
    }
  }
  return correct;
}
