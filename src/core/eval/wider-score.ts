import fs from 'node:fs/promises';
import path from 'node:path';
import { CascadeError } from '../errors.js';
import type { ScoredBox } from '../geometry.js';
import type { Box } from '../types.js';
import { type MatValue, readMatFile } from './mat-file.js';

/** WIDER FACE difficulty subsets, each with its own official ground-truth file. */
export const WIDER_SUBSETS = ['easy', 'medium', 'hard'] as const;
export type WiderSubset = (typeof WIDER_SUBSETS)[number];

/** A prediction matches a face at this IoU or more, as in the official WIDER FACE evaluation. */
export const WIDER_IOU_THRESHOLD = 0.5;
/** The official evaluation samples the precision-recall curve at this many score thresholds. */
export const WIDER_THRESHOLD_COUNT = 1000;

/** Ground truth of one WIDER FACE image: every box, and which of them count in each subset. */
export interface WiderImage {
  /** `event/file` without extension, such as `0--Parade/0_Parade_Parade_0_873`. */
  id: string;
  boxes: Box[];
  /** Indices into `boxes` of the faces that count in each subset; the others are ignored. */
  kept: Record<WiderSubset, Set<number>>;
}

function cellsOf(value: MatValue | undefined, what: string, file: string): MatValue[] {
  if (value?.kind !== 'cell') {
    throw new CascadeError(`${file} has no cell array "${what}"; expected an official WIDER FACE ground-truth file.`);
  }
  return value.cells;
}

function textOf(value: MatValue | undefined): string {
  return value?.kind === 'char' ? value.text : '';
}

/**
 * Reads the official WIDER FACE validation ground truth from `<root>/ground_truth/`:
 * `wider_face_val.mat` for the boxes and `wider_{easy,medium,hard}_val.mat` for the subsets.
 */
export async function readWiderGroundTruth(root: string): Promise<Map<string, WiderImage>> {
  const directory = path.join(root, 'ground_truth');
  const images = new Map<string, WiderImage>();

  for (const subset of WIDER_SUBSETS) {
    const file = path.join(directory, `wider_${subset}_val.mat`);
    let buffer: Buffer;
    try {
      buffer = await fs.readFile(file);
    } catch (error) {
      throw new CascadeError(
        `WIDER FACE ground truth not found: ${file}. Point --dataset wider:<root> at the directory that contains ground_truth/.`,
        { cause: error },
      );
    }
    const variables = readMatFile(buffer, file);
    const events = cellsOf(variables.event_list, 'event_list', file);
    const files = cellsOf(variables.file_list, 'file_list', file);
    const boxLists = cellsOf(variables.face_bbx_list, 'face_bbx_list', file);
    const keptLists = cellsOf(variables.gt_list, 'gt_list', file);

    events.forEach((event, eventIndex) => {
      const eventName = textOf(event);
      const names = cellsOf(files[eventIndex], 'file_list entry', file);
      const eventBoxes = cellsOf(boxLists[eventIndex], 'face_bbx_list entry', file);
      const eventKept = cellsOf(keptLists[eventIndex], 'gt_list entry', file);
      names.forEach((name, imageIndex) => {
        const id = `${eventName}/${textOf(name)}`;
        let image = images.get(id);
        if (!image) {
          image = {
            id,
            boxes: readBoxes(eventBoxes[imageIndex]),
            kept: { easy: new Set(), medium: new Set(), hard: new Set() },
          };
          images.set(id, image);
        }
        const kept = eventKept[imageIndex];
        if (kept?.kind === 'numeric') {
          // MATLAB indices are 1-based.
          for (const index of kept.data) {
            image.kept[subset].add(index - 1);
          }
        }
      });
    });
  }
  return images;
}

function readBoxes(value: MatValue | undefined): Box[] {
  if (value?.kind !== 'numeric' || value.dims.length < 2) {
    return [];
  }
  const rows = value.dims[0] as number;
  const boxes: Box[] = [];
  for (let row = 0; row < rows; row += 1) {
    // Column-major n x 4 matrix of x, y, w, h.
    boxes.push({
      x: value.data[row] as number,
      y: value.data[row + rows] as number,
      w: value.data[row + 2 * rows] as number,
      h: value.data[row + 3 * rows] as number,
    });
  }
  return boxes;
}

/**
 * IoU with the official evaluation's pixel convention: a box covers x to x + w inclusive,
 * so widths and heights gain one pixel.
 */
function widerIou(a: Box, b: Box): number {
  const width = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x) + 1;
  const height = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y) + 1;
  if (width <= 0 || height <= 0) {
    return 0;
  }
  const intersection = width * height;
  const union = (a.w + 1) * (a.h + 1) + (b.w + 1) * (b.h + 1) - intersection;
  return intersection / union;
}

/** Precision-recall counts of one image at each sampled threshold: proposals and recalled faces. */
function scoreWiderImage(
  predictions: readonly ScoredBox[],
  image: WiderImage,
  subset: WiderSubset,
  thresholds: readonly number[],
): Array<[number, number]> {
  const sorted = [...predictions].sort((a, b) => b.score - a.score);
  const recalled = new Int8Array(image.boxes.length);
  const proposal = new Int8Array(sorted.length).fill(1);
  const recalledSoFar = new Int32Array(sorted.length);
  let recalledCount = 0;

  sorted.forEach((prediction, index) => {
    let best = -1;
    let bestOverlap = 0;
    image.boxes.forEach((box, boxIndex) => {
      const overlap = widerIou(prediction, box);
      if (overlap > bestOverlap) {
        bestOverlap = overlap;
        best = boxIndex;
      }
    });
    if (best >= 0 && bestOverlap >= WIDER_IOU_THRESHOLD) {
      if (!image.kept[subset].has(best)) {
        // Matched to a face outside the subset: neither a true nor a false positive.
        proposal[index] = -1;
        recalled[best] = -1;
      } else if (recalled[best] === 0) {
        recalled[best] = 1;
        recalledCount += 1;
      }
    }
    recalledSoFar[index] = recalledCount;
  });

  return thresholds.map((threshold) => {
    let last = -1;
    for (let index = 0; index < sorted.length; index += 1) {
      if ((sorted[index] as ScoredBox).score >= threshold) {
        last = index;
      }
    }
    if (last < 0) {
      return [0, 0];
    }
    let proposals = 0;
    for (let index = 0; index <= last; index += 1) {
      if (proposal[index] === 1) {
        proposals += 1;
      }
    }
    return [proposals, recalledSoFar[last] as number];
  });
}

export interface WiderResult {
  images: number;
  /** Average precision per subset at IoU 0.5. */
  averagePrecision: Record<WiderSubset, number>;
  /** Faces that count per subset, over the evaluated images. */
  faces: Record<WiderSubset, number>;
}

/**
 * WIDER FACE average precision per subset, following the official evaluation: scores normalized
 * to [0, 1] over all predictions, greedy matching by score at IoU 0.5, faces outside the subset
 * ignored, the precision-recall curve sampled at 1000 thresholds and its area taken as in VOC.
 * Only images that have predictions (possibly none) in `predictions` are evaluated.
 */
export function scoreWider(
  predictions: ReadonlyMap<string, readonly ScoredBox[]>,
  groundTruth: ReadonlyMap<string, WiderImage>,
): WiderResult {
  const allScores = [...predictions.values()].flatMap((boxes) => boxes.map((box) => box.score));
  const low = allScores.length > 0 ? Math.min(...allScores) : 0;
  const high = allScores.length > 0 ? Math.max(...allScores) : 1;
  const range = high - low > 0 ? high - low : 1;
  const thresholds = Array.from({ length: WIDER_THRESHOLD_COUNT }, (_, t) => 1 - (t + 1) / WIDER_THRESHOLD_COUNT);

  const averagePrecision = { easy: 0, medium: 0, hard: 0 };
  const faces = { easy: 0, medium: 0, hard: 0 };
  for (const subset of WIDER_SUBSETS) {
    const totals = thresholds.map(() => [0, 0] as [number, number]);
    for (const [id, boxes] of predictions) {
      const image = groundTruth.get(id);
      if (!image) {
        throw new CascadeError(`Image "${id}" is not in the WIDER FACE validation ground truth.`);
      }
      faces[subset] += image.kept[subset].size;
      const normalized = boxes.map((box) => ({ ...box, score: (box.score - low) / range }));
      scoreWiderImage(normalized, image, subset, thresholds).forEach(([proposals, recalled], t) => {
        const total = totals[t] as [number, number];
        total[0] += proposals;
        total[1] += recalled;
      });
    }
    const precision = totals.map(([proposals, recalled]) => (proposals > 0 ? recalled / proposals : 0));
    const recall = totals.map(([, recalled]) => (faces[subset] > 0 ? recalled / faces[subset] : 0));
    averagePrecision[subset] = vocAveragePrecision(recall, precision);
  }
  return { images: predictions.size, averagePrecision, faces };
}

/** Area under a precision-recall curve with the precision made monotone, as in PASCAL VOC. */
export function vocAveragePrecision(recall: readonly number[], precision: readonly number[]): number {
  const r = [0, ...recall, 1];
  const p = [0, ...precision, 0];
  for (let i = p.length - 2; i >= 0; i -= 1) {
    p[i] = Math.max(p[i] as number, p[i + 1] as number);
  }
  let area = 0;
  for (let i = 1; i < r.length; i += 1) {
    if (r[i] !== r[i - 1]) {
      area += ((r[i] as number) - (r[i - 1] as number)) * (p[i] as number);
    }
  }
  return area;
}
