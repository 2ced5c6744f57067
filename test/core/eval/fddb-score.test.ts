import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import { formatFddbDetections, parseFddbDetections, readFddbFolds } from '../../../src/core/eval/fddb-files.js';
import { formatDiscRoc, recallAtFalsePositives, scoreFddb, scoreFddbImage } from '../../../src/core/eval/fddb-score.js';
import { maxWeightAssignment } from '../../../src/core/eval/hungarian.js';
import { ellipseRegion, rectangleRegion, regionOverlap } from '../../../src/core/eval/region-overlap.js';
import type { Ellipse } from '../../../src/core/types.js';
import { SHARED_DATA } from '../../helpers/temp-dir.js';

const FDDB_ROOT = path.join(SHARED_DATA, 'fddb');
const SIZE = { width: 200, height: 200 };

// An upright face: major radius 30 along y (angle pi/2), minor radius 20 along x, centered at (100, 100).
const FACE: Ellipse = { majorRadius: 30, minorRadius: 20, angle: Math.PI / 2, centerX: 100, centerY: 100 };

describe('region overlap', () => {
  test('rectangle covers pixels of both corners', () => {
    const region = rectangleRegion({ x: 10, y: 20, w: 4, h: 2 }, SIZE);
    assert.deepEqual([region.left, region.top, region.right, region.bottom], [10, 20, 14, 22]);
    assert.equal(region.contains(14, 22), true);
    assert.equal(region.contains(15, 22), false);
  });

  test('identical rectangles overlap fully', () => {
    const box = { x: 30, y: 40, w: 25, h: 17 };
    assert.equal(regionOverlap(rectangleRegion(box, SIZE), rectangleRegion(box, SIZE)), 1);
  });

  test('rectangles count pixels on the grid', () => {
    // 11x11 = 121 pixels each; they share a 6x11 strip of 66 pixels.
    const a = rectangleRegion({ x: 0, y: 0, w: 10, h: 10 }, SIZE);
    const b = rectangleRegion({ x: 5, y: 0, w: 10, h: 10 }, SIZE);
    assert.equal(regionOverlap(a, b), 66 / (121 + 121 - 66));
  });

  test('regions are clipped to the image', () => {
    const inside = rectangleRegion({ x: 0, y: 0, w: 9, h: 9 }, SIZE);
    const spilling = rectangleRegion({ x: -50, y: -50, w: 59, h: 59 }, SIZE);
    assert.equal(regionOverlap(inside, spilling), 1);
  });

  test('ellipse pixel count is close to its area', () => {
    const ellipse = ellipseRegion(FACE, SIZE);
    const everything = rectangleRegion({ x: 0, y: 0, w: 199, h: 199 }, SIZE);
    const pixels = regionOverlap(ellipse, everything) * SIZE.width * SIZE.height;
    assert.ok(Math.abs(pixels - Math.PI * 30 * 20) < 40, `ellipse covers ${pixels} pixels`);
  });

  test('upright ellipse is taller than wide', () => {
    const ellipse = ellipseRegion(FACE, SIZE);
    assert.equal(ellipse.contains(100, 128), true);
    assert.equal(ellipse.contains(128, 100), false);
  });
});

describe('max weight assignment', () => {
  test('assignment beats greedy choice', () => {
    // Greedy would take 0.9 (row 0, column 0) and leave row 1 with 0.1; the best total is 0.8 + 0.8.
    const assignment = maxWeightAssignment([
      [0.9, 0.8],
      [0.8, 0.1],
    ]);
    assert.deepEqual(assignment, [1, 0]);
  });

  test('tall matrices leave rows unassigned', () => {
    const assignment = maxWeightAssignment([[0.2], [0.7], [0.4]]);
    assert.deepEqual(assignment, [-1, 0, -1]);
  });

  test('wide matrices use each column once', () => {
    const assignment = maxWeightAssignment([[0.3, 0.6, 0.5]]);
    assert.deepEqual(assignment, [1]);
  });
});

describe('FDDB matching rules', () => {
  const tight = { x: 80, y: 70, w: 40, h: 60 };

  test('tight box is a discrete match', () => {
    const [counts] = scoreFddbImage({ name: 'a', size: SIZE, ellipses: [FACE], detections: [{ ...tight, score: 1 }] });
    assert.equal(counts?.truePositivesDiscrete, 1);
    assert.equal(counts?.falsePositives, 0);
    assert.ok((counts?.truePositivesContinuous ?? 0) > 0.7);
  });

  test('weak overlap counts only continuously', () => {
    const shifted = { x: 105, y: 70, w: 40, h: 60, score: 1 };
    const [counts] = scoreFddbImage({ name: 'a', size: SIZE, ellipses: [FACE], detections: [shifted] });
    const overlap = regionOverlap(ellipseRegion(FACE, SIZE), rectangleRegion(shifted, SIZE));
    assert.ok(overlap > 0, `overlap ${overlap}`);
    assert.ok(overlap < 0.5, `overlap ${overlap}`);
    assert.equal(counts?.truePositivesDiscrete, 0);
    assert.equal(counts?.falsePositives, 1);
    assert.equal(counts?.truePositivesContinuous, overlap);
  });

  test('duplicate detection is a false positive', () => {
    const counts = scoreFddbImage({
      name: 'a',
      size: SIZE,
      ellipses: [FACE],
      detections: [
        { ...tight, score: 0.9 },
        { x: 81, y: 71, w: 40, h: 60, score: 0.8 },
      ],
    });
    assert.equal(counts.length, 2);
    // At threshold 0.8 both are kept: one matches, the other is a false positive.
    assert.deepEqual(
      counts.map((entry) => [entry.threshold, entry.truePositivesDiscrete, entry.falsePositives]),
      [
        [0.8, 1, 1],
        [0.9, 1, 0],
      ],
    );
  });

  test('matching maximizes total overlap', () => {
    const left: Ellipse = { ...FACE, centerX: 60 };
    const right: Ellipse = { ...FACE, centerX: 140 };
    // A wide box between both faces and a tight box on the right face: the one-to-one matching
    // pairs the tight box with the right face, so the wide box can only take the left face.
    const [counts] = scoreFddbImage({
      name: 'a',
      size: SIZE,
      ellipses: [left, right],
      detections: [
        { x: 120, y: 70, w: 40, h: 60, score: 1 },
        { x: 40, y: 70, w: 120, h: 60, score: 1 },
      ],
    });
    assert.equal(counts?.truePositivesDiscrete, 1);
    assert.equal(counts?.falsePositives, 1);
  });

  test('curve merges images by threshold', () => {
    const result = scoreFddb([
      { name: 'a', size: SIZE, ellipses: [FACE], detections: [{ ...tight, score: 0.9 }] },
      { name: 'b', size: SIZE, ellipses: [FACE], detections: [{ x: 0, y: 0, w: 20, h: 20, score: 0.5 }] },
      { name: 'c', size: SIZE, ellipses: [FACE], detections: [] },
    ]);
    assert.equal(result.faces, 3);
    assert.deepEqual(
      result.discrete.map((point) => [point.threshold, point.falsePositives, point.truePositiveRate]),
      [
        [0.5, 1, 1 / 3],
        [0.9, 0, 1 / 3],
      ],
    );
    assert.equal(formatDiscRoc(result.discrete), `${1 / 3} 1 0.5\n${1 / 3} 0 0.9\n`);
    assert.equal(recallAtFalsePositives(result.discrete, 0), 1 / 3);
  });

  test('recall at false positives takes the best point allowed', () => {
    const curve = [
      { threshold: 0.1, falsePositives: 120, truePositiveRate: 0.9 },
      { threshold: 0.5, falsePositives: 80, truePositiveRate: 0.7 },
      { threshold: 0.9, falsePositives: 3, truePositiveRate: 0.4 },
    ];
    assert.equal(recallAtFalsePositives(curve, 100), 0.7);
    assert.equal(recallAtFalsePositives(curve, 2), 0);
  });
});

describe('FDDB files', () => {
  test('detections round-trip through the output format', () => {
    const images = [
      { name: '2002/08/11/big/img_591', detections: [{ x: 1.5, y: 2, w: 30, h: 31, score: 0.75 }] },
      { name: '2002/08/26/big/img_265', detections: [] },
    ];
    const text = formatFddbDetections(images);
    assert.equal(text, '2002/08/11/big/img_591\n1\n1.5 2 30 31 0.75\n2002/08/26/big/img_265\n0\n');
    assert.deepEqual(parseFddbDetections(text, 'memory'), images);
  });

  test('malformed detection line names the line', () => {
    assert.throws(() => parseFddbDetections('img\n1\n1 2 3\n', 'out.txt'), /Invalid detection "1 2 3" at out\.txt:3/);
  });

  test('ellipse bounding boxes score full recall on real folds', async () => {
    const images = await readFddbFolds(FDDB_ROOT, [1, 2]);
    assert.equal(images.length, 18 + 29);
    const scored = await Promise.all(
      images.map(async (image) => {
        const metadata = await sharp(image.path).metadata();
        const detections = image.ellipses.map((ellipse) => {
          // Bounding box of the rotated ellipse.
          const cos = Math.cos(ellipse.angle);
          const sin = Math.sin(ellipse.angle);
          const halfWidth = Math.hypot(ellipse.majorRadius * cos, ellipse.minorRadius * sin);
          const halfHeight = Math.hypot(ellipse.majorRadius * sin, ellipse.minorRadius * cos);
          return {
            x: ellipse.centerX - halfWidth,
            y: ellipse.centerY - halfHeight,
            w: 2 * halfWidth,
            h: 2 * halfHeight,
            score: 1,
          };
        });
        return {
          name: image.name,
          size: { width: metadata.width ?? 0, height: metadata.height ?? 0 },
          ellipses: image.ellipses,
          detections,
        };
      }),
    );
    const result = scoreFddb(scored);
    assert.equal(
      result.faces,
      images.reduce((sum, image) => sum + image.ellipses.length, 0),
    );
    assert.equal(recallAtFalsePositives(result.discrete, 0), 1);
    const continuous = result.continuous.at(-1)?.truePositiveRate ?? 0;
    assert.ok(continuous > 0.6, `continuous rate ${continuous}`);
    assert.ok(continuous < 0.85, `continuous rate ${continuous}`);
  });
});
