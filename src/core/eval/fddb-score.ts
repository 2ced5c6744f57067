import type { ScoredBox } from '../geometry.js';
import type { Ellipse } from '../types.js';
import { maxWeightAssignment } from './hungarian.js';
import { ellipseRegion, type ImageSize, rectangleRegion, regionOverlap } from './region-overlap.js';

/** A discrete match needs an overlap ratio above this, as in the official FDDB evaluation. */
export const FDDB_DISCRETE_OVERLAP = 0.5;

/** Ground truth and detections of one image, with the image size that clips the masks. */
export interface FddbScoredImage {
  name: string;
  size: ImageSize;
  ellipses: readonly Ellipse[];
  detections: readonly ScoredBox[];
}

/** Counts at one score threshold: detections with a score at or above it are kept. */
export interface FddbCounts {
  threshold: number;
  /** Number of ground-truth faces. */
  faces: number;
  /** Matched pairs whose overlap exceeds 0.5. */
  truePositivesDiscrete: number;
  /** Sum of the overlap ratios of all matched pairs. */
  truePositivesContinuous: number;
  /** Kept detections minus discrete true positives, used by both curves as in the official evaluation. */
  falsePositives: number;
}

/** One point of an FDDB ROC curve. */
export interface RocPoint {
  threshold: number;
  falsePositives: number;
  /** Discrete or continuous true-positive rate. */
  truePositiveRate: number;
}

export interface FddbResult {
  images: number;
  faces: number;
  /** Points by increasing threshold, so false positives decrease along the list. */
  discrete: RocPoint[];
  continuous: RocPoint[];
}

/**
 * Counts of one image at each of its unique detection scores, lowest first. The overlap matrix
 * is computed once. At each threshold the kept detections are matched one-to-one to the ellipses
 * by a maximum-weight assignment on the overlap ratios, as the official evaluation does with its
 * Hungarian solver. Pairs with zero overlap never count as matches.
 */
export function scoreFddbImage(image: FddbScoredImage): FddbCounts[] {
  const faces = image.ellipses.length;
  if (image.detections.length === 0) {
    return [];
  }

  const ellipseRegions = image.ellipses.map((ellipse) => ellipseRegion(ellipse, image.size));
  const overlaps = ellipseRegions.map((ellipse) =>
    image.detections.map((box) => regionOverlap(ellipse, rectangleRegion(box, image.size))),
  );
  const thresholds = [...new Set(image.detections.map((box) => box.score))].sort((a, b) => a - b);

  return thresholds.map((threshold) => {
    const kept = image.detections.flatMap((box, index) => (box.score >= threshold ? [index] : []));
    const weights = overlaps.map((row) => kept.map((index) => row[index] ?? 0));
    const assignment = maxWeightAssignment(weights);
    let truePositivesDiscrete = 0;
    let truePositivesContinuous = 0;
    assignment.forEach((column, row) => {
      const overlap = column >= 0 ? (weights[row]?.[column] ?? 0) : 0;
      if (overlap <= 0) {
        return;
      }
      truePositivesContinuous += overlap;
      if (overlap > FDDB_DISCRETE_OVERLAP) {
        truePositivesDiscrete += 1;
      }
    });
    return {
      threshold,
      faces,
      truePositivesDiscrete,
      truePositivesContinuous,
      falsePositives: kept.length - truePositivesDiscrete,
    };
  });
}

/**
 * Scores a set of images into discrete and continuous ROC curves. For every unique score over all
 * images, each image contributes its counts at the lowest of its own thresholds at or above that
 * score (or no detection when it has none that high), which is what the official evaluation's
 * merge of per-image results computes.
 */
export function scoreFddb(images: readonly FddbScoredImage[]): FddbResult {
  const perImage = images.map((image) => scoreFddbImage(image));
  const faces = images.reduce((sum, image) => sum + image.ellipses.length, 0);
  const thresholds = [...new Set(perImage.flatMap((counts) => counts.map((entry) => entry.threshold)))].sort(
    (a, b) => a - b,
  );

  const cursors = new Array<number>(perImage.length).fill(0);
  const discrete: RocPoint[] = [];
  const continuous: RocPoint[] = [];
  for (const threshold of thresholds) {
    let truePositivesDiscrete = 0;
    let truePositivesContinuous = 0;
    let falsePositives = 0;
    perImage.forEach((counts, index) => {
      let cursor = cursors[index] as number;
      while (cursor < counts.length && (counts[cursor] as FddbCounts).threshold < threshold) {
        cursor += 1;
      }
      cursors[index] = cursor;
      const entry = counts[cursor];
      if (entry) {
        truePositivesDiscrete += entry.truePositivesDiscrete;
        truePositivesContinuous += entry.truePositivesContinuous;
        falsePositives += entry.falsePositives;
      }
    });
    const rate = (truePositives: number) => (faces > 0 ? truePositives / faces : 0);
    discrete.push({ threshold, falsePositives, truePositiveRate: rate(truePositivesDiscrete) });
    continuous.push({ threshold, falsePositives, truePositiveRate: rate(truePositivesContinuous) });
  }
  return { images: images.length, faces, discrete, continuous };
}

/** Returns the highest true-positive rate reached with at most `falsePositives` false positives, or 0. */
export function recallAtFalsePositives(curve: readonly RocPoint[], falsePositives: number): number {
  let best = 0;
  for (const point of curve) {
    if (point.falsePositives <= falsePositives) {
      best = Math.max(best, point.truePositiveRate);
    }
  }
  return best;
}

/** Formats a curve in the layout of the official `DiscROC.txt`: `rate falsePositives threshold` per line. */
export function formatDiscRoc(curve: readonly RocPoint[]): string {
  return curve.map((point) => `${point.truePositiveRate} ${point.falsePositives} ${point.threshold}\n`).join('');
}

/** Formats a curve in the layout of the official `ContROC.txt`: `rate falsePositives` per line. */
export function formatContRoc(curve: readonly RocPoint[]): string {
  return curve.map((point) => `${point.truePositiveRate} ${point.falsePositives}\n`).join('');
}
