import { applyCalibration, CALIBRATION_PATTERNS, type CalibrationPattern, iou } from '../geometry.js';
import type { ModelTask } from '../model.js';
import { LABEL_FACE } from '../types.js';

/**
 * Validation metrics accumulated over batches. Detection: loss, accuracy, precision, recall and the
 * counts of false positives and false negatives (face is the positive class). Calibration: loss,
 * top-1 accuracy and the mean IoU between the box corrected by the predicted pattern and the true box.
 */
export class MetricAccumulator {
  readonly #task: ModelTask;
  #count = 0;
  #lossSum = 0;
  #correct = 0;
  #truePositives = 0;
  #falsePositives = 0;
  #falseNegatives = 0;
  #iouSum = 0;

  constructor(task: ModelTask) {
    this.#task = task;
  }

  get count(): number {
    return this.#count;
  }

  /** Adds a batch: class probabilities (row-major, `numClasses` per sample), labels and the batch mean loss. */
  add(probabilities: Float32Array, labels: Int32Array, numClasses: number, meanLoss: number): void {
    for (let index = 0; index < labels.length; index += 1) {
      const label = labels[index] as number;
      const predicted = argMax(probabilities, index * numClasses, numClasses);
      if (predicted === label) {
        this.#correct += 1;
      }
      if (this.#task === 'detection') {
        this.#countDetection(predicted, label);
      } else {
        this.#iouSum += calibrationIou(predicted, label);
      }
    }
    this.#lossSum += meanLoss * labels.length;
    this.#count += labels.length;
  }

  /** Computes the metrics, each name prefixed (`val_loss`); empty when no sample was added. */
  result(prefix: string): Record<string, number> {
    if (this.#count === 0) {
      return {};
    }
    const metrics: Record<string, number> = {
      [`${prefix}loss`]: this.#lossSum / this.#count,
      [`${prefix}accuracy`]: this.#correct / this.#count,
      [`${prefix}samples`]: this.#count,
    };
    if (this.#task === 'detection') {
      const predictedFaces = this.#truePositives + this.#falsePositives;
      const actualFaces = this.#truePositives + this.#falseNegatives;
      const recall = actualFaces > 0 ? this.#truePositives / actualFaces : 0;
      metrics[`${prefix}precision`] = predictedFaces > 0 ? this.#truePositives / predictedFaces : 0;
      metrics[`${prefix}recall`] = recall;
      // The mean of the recalls of faces and non-faces: 0.5 for chance on any class balance.
      const nonFaces = this.#count - actualFaces;
      const nonFaceRecall = nonFaces > 0 ? (nonFaces - this.#falsePositives) / nonFaces : 0;
      metrics[`${prefix}balanced_accuracy`] = (recall + nonFaceRecall) / 2;
      metrics[`${prefix}false_positives`] = this.#falsePositives;
      metrics[`${prefix}false_negatives`] = this.#falseNegatives;
    } else {
      metrics[`${prefix}mean_iou`] = this.#iouSum / this.#count;
    }
    return metrics;
  }

  #countDetection(predicted: number, label: number): void {
    if (predicted === LABEL_FACE && label === LABEL_FACE) {
      this.#truePositives += 1;
    } else if (predicted === LABEL_FACE) {
      this.#falsePositives += 1;
    } else if (label === LABEL_FACE) {
      this.#falseNegatives += 1;
    }
  }
}

function argMax(values: Float32Array, offset: number, length: number): number {
  let best = 0;
  for (let i = 1; i < length; i += 1) {
    if ((values[offset + i] as number) > (values[offset + best] as number)) {
      best = i;
    }
  }
  return best;
}

const UNIT_WINDOW = { x: 0, y: 0, w: 1, h: 1 };

/**
 * IoU between the face recovered with the predicted pattern and the true face. A calibration sample
 * with label n is a window shifted so that pattern n maps it back onto the face, so on a unit window
 * the true face is `applyCalibration(window, pattern n)`.
 */
export function calibrationIou(predicted: number, label: number): number {
  const truth = applyCalibration(UNIT_WINDOW, CALIBRATION_PATTERNS[label] as CalibrationPattern);
  const corrected = applyCalibration(UNIT_WINDOW, CALIBRATION_PATTERNS[predicted] as CalibrationPattern);
  return iou(truth, corrected);
}
