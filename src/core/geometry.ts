import type { Box } from './types.js';

export type { Box } from './types.js';

/** Area of a box in square pixels; 0 for empty boxes. */
export function boxArea(box: Box): number {
  return Math.max(box.w, 0) * Math.max(box.h, 0);
}

/** Intersection over union of two boxes, in [0, 1]. */
export function iou(a: Box, b: Box): number {
  const x1 = Math.max(a.x, b.x);
  const y1 = Math.max(a.y, b.y);
  const x2 = Math.min(a.x + a.w, b.x + b.w);
  const y2 = Math.min(a.y + a.h, b.y + b.h);
  const intersection = Math.max(x2 - x1, 0) * Math.max(y2 - y1, 0);
  const union = boxArea(a) + boxArea(b) - intersection;
  return union > 0 ? intersection / union : 0;
}

/** Returns the square box with the same center, whose side is the larger of width and height. */
export function squareAround(box: Box): Box {
  const side = Math.max(box.w, box.h);
  return { x: box.x + (box.w - side) / 2, y: box.y + (box.h - side) / 2, w: side, h: side };
}

/**
 * Cuts a box to the image [0, width) x [0, height). A window of the cascade can reach past the
 * image's edges (its crop is padded with black), and a face at the edge should be reported by the
 * part that is in the image. Returns a box of zero width or height when nothing is left.
 */
export function clipToImage<T extends Box>(box: T, width: number, height: number): T {
  const x1 = Math.min(Math.max(box.x, 0), width);
  const y1 = Math.min(Math.max(box.y, 0), height);
  const x2 = Math.min(Math.max(box.x + box.w, 0), width);
  const y2 = Math.min(Math.max(box.y + box.h, 0), height);
  return { ...box, x: x1, y: y1, w: Math.max(x2 - x1, 0), h: Math.max(y2 - y1, 0) };
}

/** A box with a detection score. */
export interface ScoredBox extends Box {
  score: number;
}

/**
 * Greedy non-maximum suppression: keeps the highest-scoring box and drops every box whose IoU
 * with a kept box exceeds `iouThreshold`. Returns the kept boxes, highest score first.
 */
export function nms<T extends ScoredBox>(boxes: readonly T[], iouThreshold: number): T[] {
  const sorted = [...boxes].sort((a, b) => b.score - a.score);
  const kept: T[] = [];
  const suppressed = new Uint8Array(sorted.length);
  for (let i = 0; i < sorted.length; i += 1) {
    if (suppressed[i]) {
      continue;
    }
    const candidate = sorted[i] as T;
    kept.push(candidate);
    for (let j = i + 1; j < sorted.length; j += 1) {
      if (!suppressed[j] && iou(candidate, sorted[j] as T) > iouThreshold) {
        suppressed[j] = 1;
      }
    }
  }
  return kept;
}

/** One calibration pattern: scale s and offsets x, y relative to the window size. */
export interface CalibrationPattern {
  scale: number;
  offsetX: number;
  offsetY: number;
}

// The 45 patterns of Li et al. (CVPR 2015), section 3.1: every combination of these values.
export const CALIBRATION_SCALES = [0.83, 0.91, 1.0, 1.1, 1.21] as const;
export const CALIBRATION_OFFSETS = [-0.17, 0, 0.17] as const;

/** The 45 calibration patterns, ordered by scale, then x offset, then y offset; the index is the class label. */
export const CALIBRATION_PATTERNS: readonly CalibrationPattern[] = CALIBRATION_SCALES.flatMap((scale) =>
  CALIBRATION_OFFSETS.flatMap((offsetX) => CALIBRATION_OFFSETS.map((offsetY) => ({ scale, offsetX, offsetY }))),
);

/**
 * Applies a calibration adjustment to a window: (x, y, w, h) becomes
 * (x - offsetX * w / scale, y - offsetY * h / scale, w / scale, h / scale).
 */
export function applyCalibration(box: Box, pattern: CalibrationPattern): Box {
  return {
    x: box.x - (pattern.offsetX * box.w) / pattern.scale,
    y: box.y - (pattern.offsetY * box.h) / pattern.scale,
    w: box.w / pattern.scale,
    h: box.h / pattern.scale,
  };
}

/**
 * The crop that a calibration net should map back to `face` under `pattern`: the inverse of
 * `applyCalibration`, so that `applyCalibration(shiftForPattern(face, p), p)` equals `face`.
 */
export function shiftForPattern(face: Box, pattern: CalibrationPattern): Box {
  return {
    x: face.x + pattern.offsetX * face.w,
    y: face.y + pattern.offsetY * face.h,
    w: face.w * pattern.scale,
    h: face.h * pattern.scale,
  };
}

/**
 * Averages the patterns whose confidence exceeds `threshold` into one adjustment, as the
 * calibration nets do at test time. Returns undefined when no pattern is confident enough.
 */
export function averagePatterns(confidences: ArrayLike<number>, threshold: number): CalibrationPattern | undefined {
  let count = 0;
  let scale = 0;
  let offsetX = 0;
  let offsetY = 0;
  for (let index = 0; index < CALIBRATION_PATTERNS.length; index += 1) {
    if ((confidences[index] ?? 0) > threshold) {
      const pattern = CALIBRATION_PATTERNS[index] as CalibrationPattern;
      scale += pattern.scale;
      offsetX += pattern.offsetX;
      offsetY += pattern.offsetY;
      count += 1;
    }
  }
  if (count === 0) {
    return undefined;
  }
  return { scale: scale / count, offsetX: offsetX / count, offsetY: offsetY / count };
}
