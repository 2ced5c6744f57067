import * as tf from '@tensorflow/tfjs';
import type { ModelTask } from '../model.js';
import type { Sample } from '../types.js';
import { toBatchTensors } from './batch.js';
import { MetricAccumulator } from './metrics.js';
import { crossEntropy } from './train-step.js';

export interface EvaluateOptions {
  task: ModelTask;
  size: number;
  numClasses: number;
  batchSize: number;
  /** Stops after this many samples. */
  limit?: number;
}

/** Runs the model over a stream of samples in inference mode and returns the metrics, names prefixed `val_`. */
export async function evaluate(
  model: tf.LayersModel,
  samples: AsyncIterable<Sample>,
  options: EvaluateOptions,
): Promise<Record<string, number>> {
  const accumulator = new MetricAccumulator(options.task);
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  let batch: Sample[] = [];

  const flush = (): void => {
    const { x, y, labels } = toBatchTensors(batch, options.size, options.numClasses);
    // Tensors only leave the tidy: a typed array returned from it would be walked element by element.
    const [predicted, cost] = tf.tidy(() => {
      const output = model.predict(x) as tf.Tensor;
      return [output, crossEntropy(y, output)];
    });
    const probabilities = predicted.dataSync() as Float32Array;
    const loss = cost.dataSync()[0] ?? Number.NaN;
    tf.dispose([x, y, predicted, cost]);
    accumulator.add(probabilities, labels, options.numClasses, loss);
    batch = [];
  };

  let seen = 0;
  for await (const sample of samples) {
    if (seen >= limit) {
      break;
    }
    batch.push(sample);
    seen += 1;
    if (batch.length === options.batchSize) {
      flush();
    }
  }
  if (batch.length > 0) {
    flush();
  }
  return accumulator.result('val_');
}
