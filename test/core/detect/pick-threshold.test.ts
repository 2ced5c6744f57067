import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bestScoresPerFace, facesToFind, thresholdForRecall } from '../../../src/core/detect/pick-threshold.js';

describe('threshold for recall', () => {
  test('keeps the requested share of faces', () => {
    const scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05];
    const picked = thresholdForRecall(scores, 0.8);
    assert.equal(picked.threshold, 0.2);
    assert.equal(picked.recall, 0.8);
  });

  test('rounds the face count up', () => {
    // 99% of 10 faces needs all 10.
    const picked = thresholdForRecall([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05], 0.99);
    assert.equal(picked.threshold, 0.05);
    assert.equal(picked.recall, 1);
  });

  test('unreached faces cap the recall', () => {
    const picked = thresholdForRecall([0.9, undefined, 0.4, undefined], 0.99);
    assert.equal(picked.threshold, 0.4);
    assert.equal(picked.recall, 0.5);
    assert.equal(picked.reachable, 2);
  });

  test('no faces gives threshold zero', () => {
    assert.deepEqual(thresholdForRecall([], 0.99), { threshold: 0, recall: 0, faces: 0, reachable: 0 });
  });
});

describe('best scores per face', () => {
  test('takes the best matching window', () => {
    const face = { x: 0, y: 0, w: 10, h: 10 };
    const windows = [
      { x: 0, y: 0, w: 10, h: 10, score: 0.3 },
      { x: 1, y: 1, w: 10, h: 10, score: 0.6 },
      { x: 50, y: 50, w: 10, h: 10, score: 0.99 },
    ];
    assert.deepEqual(bestScoresPerFace([face], windows), [0.6]);
  });

  test('face without overlap has no score', () => {
    assert.deepEqual(bestScoresPerFace([{ x: 0, y: 0, w: 10, h: 10 }], [{ x: 8, y: 8, w: 10, h: 10, score: 1 }]), [
      undefined,
    ]);
  });
});

describe('faces to find', () => {
  test('keeps faces by longer side', () => {
    const faces = [
      { x: 0, y: 0, w: 24, h: 30 },
      { x: 0, y: 0, w: 36, h: 44 },
      { x: 0, y: 0, w: 40, h: 40 },
      { x: 0, y: 0, w: 39, h: 39 },
    ];
    assert.deepEqual(facesToFind(faces, 40), [faces[1], faces[2]]);
  });
});
