import fs from 'node:fs/promises';
import path from 'node:path';
import { CascadeError } from '../errors.js';
import type { ScoredBox } from '../geometry.js';
import type { Ellipse } from '../types.js';

/** One FDDB image with its ground-truth ellipses. */
export interface FddbImage {
  /** FDDB name without extension, such as `2002/08/11/big/img_591`. */
  name: string;
  /** Absolute path of the JPEG under `originalPics/`. */
  path: string;
  ellipses: Ellipse[];
}

/** The FDDB layout below its root directory. */
export const FDDB_FOLDS_DIR = 'FDDB-folds';
export const FDDB_IMAGES_DIR = 'originalPics';
export const FDDB_FOLD_COUNT = 10;

function foldFile(root: string, fold: number, suffix: string): string {
  return path.join(root, FDDB_FOLDS_DIR, `FDDB-fold-${String(fold).padStart(2, '0')}${suffix}.txt`);
}

/** One record of FDDB's line format: an image name and the numbers of its item lines. */
interface FddbRecord {
  name: string;
  rows: Array<[number, number, number, number, number]>;
}

/**
 * Parses FDDB's shared line format: per image its name, an item count, then one line of at least
 * five numbers per item. `labels` name the count and the items in error messages, and give the
 * expected layout of an item line.
 */
function parseFddbRecords(
  text: string,
  file: string,
  labels: { count: string; item: string; format: string },
): FddbRecord[] {
  const lines = text.split(/\r?\n/).map((line) => line.trim());
  const records: FddbRecord[] = [];
  let index = 0;
  while (index < lines.length) {
    const name = lines[index];
    if (!name) {
      index += 1;
      continue;
    }
    const count = Number(lines[index + 1]);
    if (!Number.isInteger(count) || count < 0) {
      throw new CascadeError(
        `Invalid ${labels.count} count "${lines[index + 1]}" for ${name} at ${file}:${index + 2}; expected a non-negative integer.`,
      );
    }
    const rows: FddbRecord['rows'] = [];
    for (let offset = 0; offset < count; offset += 1) {
      const lineNumber = index + 2 + offset;
      const values = (lines[lineNumber] ?? '').split(/\s+/).map(Number);
      if (values.length < 5 || values.slice(0, 5).some((value) => !Number.isFinite(value))) {
        throw new CascadeError(
          `Invalid ${labels.item} "${lines[lineNumber]}" at ${file}:${lineNumber + 1}; expected "${labels.format}".`,
        );
      }
      rows.push(values.slice(0, 5) as [number, number, number, number, number]);
    }
    records.push({ name, rows });
    index += 2 + count;
  }
  return records;
}

/**
 * Parses an ellipse list: per image its name, the face count, then one line
 * `major_radius minor_radius angle center_x center_y 1` per face.
 */
export function parseEllipseList(text: string, file: string): Array<{ name: string; ellipses: Ellipse[] }> {
  return parseFddbRecords(text, file, {
    count: 'face',
    item: 'ellipse',
    format: 'major_radius minor_radius angle center_x center_y 1',
  }).map(({ name, rows }) => ({
    name,
    ellipses: rows.map(([majorRadius, minorRadius, angle, centerX, centerY]) => ({
      majorRadius,
      minorRadius,
      angle,
      centerX,
      centerY,
    })),
  }));
}

/** Reads the ground truth of the given folds (1 to 10) under an FDDB root. */
export async function readFddbFolds(root: string, folds: readonly number[]): Promise<FddbImage[]> {
  const images: FddbImage[] = [];
  for (const fold of folds) {
    if (!Number.isInteger(fold) || fold < 1 || fold > FDDB_FOLD_COUNT) {
      throw new CascadeError(`Invalid FDDB fold ${fold}; folds are numbered 1 to ${FDDB_FOLD_COUNT}.`);
    }
    const file = foldFile(root, fold, '-ellipseList');
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (error) {
      const presentFolds = await availableFddbFolds(root);
      const hint =
        presentFolds.length > 0
          ? `Fold ${fold} is missing, and this root has folds ${presentFolds.join(', ')}.`
          : `Point --dataset fddb:<root> at the directory that contains ${FDDB_FOLDS_DIR}/.`;
      throw new CascadeError(`FDDB ellipse list not found: ${file}. ${hint}`, { cause: error });
    }
    for (const image of parseEllipseList(text, file)) {
      images.push({ ...image, path: path.join(root, FDDB_IMAGES_DIR, `${image.name}.jpg`) });
    }
  }
  return images;
}

/** Lists the folds that have an ellipse list under an FDDB root. */
export async function availableFddbFolds(root: string): Promise<number[]> {
  const folds: number[] = [];
  for (let fold = 1; fold <= FDDB_FOLD_COUNT; fold += 1) {
    try {
      await fs.access(foldFile(root, fold, '-ellipseList'));
      folds.push(fold);
    } catch {
      // A missing fold is simply not available.
    }
  }
  return folds;
}

/** Detections of one image, as written in FDDB's output format. */
export interface FddbDetections {
  name: string;
  detections: ScoredBox[];
}

/** Formats detections in FDDB's output format: the name, the count, then `x y w h score` per detection. */
export function formatFddbDetections(images: readonly FddbDetections[]): string {
  const lines: string[] = [];
  for (const image of images) {
    lines.push(image.name, String(image.detections.length));
    for (const box of image.detections) {
      lines.push(`${round(box.x)} ${round(box.y)} ${round(box.w)} ${round(box.h)} ${box.score}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function round(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/** Parses FDDB's output format (rectangles), as `formatFddbDetections` writes it and other detectors do. */
export function parseFddbDetections(text: string, file: string): FddbDetections[] {
  return parseFddbRecords(text, file, { count: 'detection', item: 'detection', format: 'x y w h score' }).map(
    ({ name, rows }) => ({
      name,
      detections: rows.map(([x, y, w, h, score]) => ({ x, y, w, h, score })),
    }),
  );
}
