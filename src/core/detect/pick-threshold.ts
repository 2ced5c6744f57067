import { iou, type ScoredBox } from '../geometry.js';
import type { RgbImage } from '../image/index.js';
import type { Box } from '../types.js';
import type { DetectionStage } from './cascade-detector.js';
import { CascadeDetector, type CascadeNets } from './cascade-detector.js';
import { type DetectorOptions, detectorOptionsSchema } from './detector-options.js';

/** A window counts as finding a face at this IoU or more when thresholds are picked. */
export const FACE_MATCH_IOU = 0.5;

/** A picked threshold with the recall it keeps on the held-out faces. */
export interface PickedThreshold {
  threshold: number;
  /** Fraction of the faces that still have a window at or above the threshold. */
  recall: number;
  /** Faces the stage was measured on, and how many any window reached at all. */
  faces: number;
  reachable: number;
}

/**
 * Picks the highest threshold that keeps `targetRecall` of the faces, given for each face the best
 * score among the windows that match it (undefined when no window matches). Faces no window reaches
 * lower the recall that any threshold can keep; then the lowest matched score is returned.
 */
export function thresholdForRecall(
  bestScores: ReadonlyArray<number | undefined>,
  targetRecall: number,
): PickedThreshold {
  const faces = bestScores.length;
  const reached = bestScores.filter((score): score is number => score !== undefined).sort((a, b) => b - a);
  if (faces === 0 || reached.length === 0) {
    return { threshold: 0, recall: 0, faces, reachable: reached.length };
  }
  const needed = Math.min(Math.max(Math.ceil(targetRecall * faces), 1), reached.length);
  const threshold = reached[needed - 1] as number;
  const kept = reached.filter((score) => score >= threshold).length;
  return { threshold, recall: kept / faces, faces, reachable: reached.length };
}

/** Best score among the windows that overlap each face by at least FACE_MATCH_IOU. */
export function bestScoresPerFace(faces: readonly Box[], windows: readonly ScoredBox[]): Array<number | undefined> {
  return faces.map((face) => {
    let best: number | undefined;
    for (const window of windows) {
      if (iou(face, window) >= FACE_MATCH_IOU && (best === undefined || window.score > best)) {
        best = window.score;
      }
    }
    return best;
  });
}

/**
 * Returns the faces whose longer side reaches `minFaceSize`: the ones a detector with that minimum
 * face size looks for. A calibrated window can still overlap a smaller face.
 */
export function facesToFind(faces: readonly Box[], minFaceSize: number): Box[] {
  return faces.filter((face) => Math.max(face.w, face.h) >= minFaceSize);
}

/** A held-out image with its face boxes. */
export interface HeldOutImage {
  rgb: RgbImage;
  faces: Box[];
}

/**
 * Picks the threshold of one detection stage on held-out faces, as Li et al. (CVPR 2015) set the
 * 12-stage for 99% recall and the 24-stage for 97%. The earlier stages run with `options`; the
 * measured stage keeps every window (threshold 0) and skips its NMS, so that each face's best
 * window score is seen. Recall is counted over the faces of at least the minimum face size
 * (`facesToFind`) that the earlier stages still reach.
 */
export function pickStageThreshold(
  nets: CascadeNets,
  options: DetectorOptions,
  stage: Exclude<DetectionStage, 'net48'>,
  images: readonly HeldOutImage[],
  targetRecall: number,
): PickedThreshold {
  const measuring: DetectorOptions = {
    ...options,
    thresholds: { ...options.thresholds, [stage]: 0 },
    nms: { ...options.nms, [stage]: 1 },
  };
  const { minFaceSize } = detectorOptionsSchema.parse(options);
  const detector = new CascadeDetector(nets, measuring);
  const scores: Array<number | undefined> = [];
  try {
    for (const image of images) {
      const [detection] = detector.detect([image.rgb], { lastStage: stage, recordStages: true });
      const stages = detection?.stages ?? [];
      const measured = stages.find((entry) => entry.stage === stage)?.boxes ?? [];
      const previous = stage === 'net12' ? undefined : stages.find((entry) => entry.stage === 'net12')?.boxes;
      const targets = facesToFind(image.faces, minFaceSize);
      const faces = previous
        ? // Faces the earlier stage already lost do not count against this one.
          targets.filter((face) => bestScoresPerFace([face], previous)[0] !== undefined)
        : targets;
      scores.push(...bestScoresPerFace(faces, measured));
    }
  } finally {
    detector.dispose();
  }
  return thresholdForRecall(scores, targetRecall);
}
