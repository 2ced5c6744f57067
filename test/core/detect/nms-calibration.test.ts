import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  applyCalibration,
  averagePatterns,
  CALIBRATION_PATTERNS,
  clipToImage,
  nms,
  shiftForPattern,
} from '../../../src/core/geometry.js';

describe('NMS', () => {
  test('overlapping lower scores are dropped', () => {
    const kept = nms(
      [
        { x: 0, y: 0, w: 10, h: 10, score: 0.6 },
        { x: 1, y: 1, w: 10, h: 10, score: 0.9 },
        { x: 50, y: 50, w: 10, h: 10, score: 0.2 },
      ],
      0.5,
    );
    assert.deepEqual(
      kept.map((box) => box.score),
      [0.9, 0.2],
    );
  });

  test('IoU at the threshold is kept', () => {
    // Two 10x10 boxes shifted by 5 pixels: intersection 50, union 150, IoU 1/3.
    const boxes = [
      { x: 0, y: 0, w: 10, h: 10, score: 1 },
      { x: 5, y: 0, w: 10, h: 10, score: 0.5 },
    ];
    assert.equal(nms(boxes, 1 / 3).length, 2);
    assert.equal(nms(boxes, 0.3).length, 1);
  });

  test('suppressed boxes suppress nothing', () => {
    // B overlaps A and C; B is dropped by A, so C survives although B would drop it.
    const kept = nms(
      [
        { x: 0, y: 0, w: 10, h: 10, score: 0.9 },
        { x: 4, y: 0, w: 10, h: 10, score: 0.8 },
        { x: 8, y: 0, w: 10, h: 10, score: 0.7 },
      ],
      0.4,
    );
    assert.deepEqual(
      kept.map((box) => box.score),
      [0.9, 0.7],
    );
  });
});

describe('calibration averaging', () => {
  test('confident patterns are averaged', () => {
    const confidences = new Float32Array(45);
    // Pattern 0 is scale 0.83, offsets -0.17, -0.17; pattern 44 is scale 1.21, offsets 0.17, 0.17.
    confidences[0] = 0.4;
    confidences[44] = 0.4;
    confidences[22] = 0.05;
    const average = averagePatterns(confidences, 0.1);
    assert.ok(average);
    assert.ok(Math.abs(average.scale - (0.83 + 1.21) / 2) < 1e-12);
    assert.ok(Math.abs(average.offsetX) < 1e-12);
    assert.ok(Math.abs(average.offsetY) < 1e-12);
  });

  test('no confident pattern gives no adjustment', () => {
    assert.equal(averagePatterns(new Float32Array(45).fill(1 / 45), 0.1), undefined);
  });

  test('calibration inverts the training shift', () => {
    const face = { x: 100, y: 60, w: 48, h: 48 };
    for (const pattern of CALIBRATION_PATTERNS) {
      const restored = applyCalibration(shiftForPattern(face, pattern), pattern);
      assert.ok(Math.abs(restored.x - face.x) < 1e-9);
      assert.ok(Math.abs(restored.y - face.y) < 1e-9);
      assert.ok(Math.abs(restored.w - face.w) < 1e-9);
    }
  });

  test('window moves by offset over scale', () => {
    const moved = applyCalibration({ x: 10, y: 20, w: 100, h: 100 }, { scale: 1.1, offsetX: 0.17, offsetY: -0.17 });
    assert.ok(Math.abs(moved.x - (10 - (0.17 * 100) / 1.1)) < 1e-9);
    assert.ok(Math.abs(moved.y - (20 + (0.17 * 100) / 1.1)) < 1e-9);
    assert.ok(Math.abs(moved.w - 100 / 1.1) < 1e-9);
  });
});

describe('clipToImage', () => {
  test('cuts a window that reaches past the edges and keeps its score', () => {
    const clipped = clipToImage({ x: -12.5, y: 470, w: 60, h: 30, score: 0.8 }, 640, 480);
    assert.deepEqual(clipped, { x: 0, y: 470, w: 47.5, h: 10, score: 0.8 });
  });

  test('leaves a box inside the image as it is', () => {
    const box = { x: 10, y: 20, w: 30, h: 40 };
    assert.deepEqual(clipToImage(box, 100, 100), box);
  });

  test('a box wholly outside the image has no area left', () => {
    const clipped = clipToImage({ x: 700, y: -50, w: 20, h: 20 }, 640, 480);
    assert.equal(clipped.w * clipped.h, 0);
  });
});
