import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { calibrationIou, MetricAccumulator } from '../../../src/core/train/metrics.js';

describe('MetricAccumulator', () => {
  it('counts detection errors with face as the positive class', () => {
    const metrics = new MetricAccumulator('detection');
    // Predictions: face, face, non-face, non-face; labels: face, non-face, face, non-face.
    const probabilities = new Float32Array([0.1, 0.9, 0.2, 0.8, 0.7, 0.3, 0.6, 0.4]);
    metrics.add(probabilities, new Int32Array([1, 0, 1, 0]), 2, 0.5);
    const result = metrics.result('val_');
    assert.equal(result.val_accuracy, 0.5);
    assert.equal(result.val_precision, 0.5);
    assert.equal(result.val_recall, 0.5);
    assert.equal(result.val_balanced_accuracy, 0.5);
    assert.equal(result.val_false_positives, 1);
    assert.equal(result.val_false_negatives, 1);
    assert.equal(result.val_loss, 0.5);
    assert.equal(result.val_samples, 4);
  });

  it('weights the loss of each batch by its size', () => {
    const metrics = new MetricAccumulator('detection');
    metrics.add(new Float32Array([0.9, 0.1, 0.9, 0.1, 0.9, 0.1]), new Int32Array([0, 0, 0]), 2, 1);
    metrics.add(new Float32Array([0.9, 0.1]), new Int32Array([0]), 2, 3);
    assert.equal(metrics.result('').loss, 1.5);
  });

  it('reports calibration top-1 accuracy and mean IoU', () => {
    const metrics = new MetricAccumulator('calibration');
    const probabilities = new Float32Array(2 * 45);
    probabilities[22] = 1;
    probabilities[45 + 0] = 1;
    metrics.add(probabilities, new Int32Array([22, 22]), 45, 1);
    const result = metrics.result('val_');
    assert.equal(result.val_accuracy, 0.5);
    assert.equal(result.val_mean_iou, (1 + calibrationIou(0, 22)) / 2);
    assert.equal(result.val_precision, undefined);
  });

  it('returns no metrics before any sample', () => {
    assert.deepEqual(new MetricAccumulator('detection').result('val_'), {});
  });
});

describe('calibrationIou', () => {
  it('is 1 for the right pattern and below 1 for another', () => {
    assert.equal(calibrationIou(7, 7), 1);
    assert.ok(calibrationIou(0, 44) < 0.6);
    assert.ok(calibrationIou(21, 22) > 0.5);
  });
});
