import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { DataSource } from '../../core/data-source.js';
import { CascadeError } from '../../core/errors.js';
import { readImageSize } from '../../core/image/index.js';
import type { Logger } from '../../core/logger.js';
import { definePlugin } from '../../core/registry.js';
import { resolveDataPath } from '../../core/runtime.js';
import type { AnnotatedImage, Box, Ellipse, Face } from '../../core/types.js';
import { boxProblem, parseNumbers, reasonOf, requirePath, type SkippedItem, sourceBaseOptions } from './common.js';

// FDDB ships ten folds.
const FDDB_FOLDS = 10;

export const fddbOptions = sourceBaseOptions
  .extend({
    /** Folds to read (1 to 10); defaults to every fold whose ellipse list is present. */
    folds: z.array(z.number().int().min(1).max(FDDB_FOLDS)).min(1).optional(),
    /** Folder of the fold files, relative to root. */
    foldsDir: z.string().default('FDDB-folds'),
    /** Folder of the images, relative to root; image `name` is at `<imagesDir>/<name>.jpg`. */
    imagesDir: z.string().default('originalPics'),
  })
  .strict();

declare module '../../core/config/plugin-types.js' {
  interface SourceTypes {
    fddb: z.input<typeof fddbOptions>;
  }
}

/** One image entry of an ellipse list, before its file is checked. */
interface EllipseEntry {
  name: string;
  line: number;
  ellipses: Ellipse[];
}

/**
 * FDDB (Jain and Learned-Miller, 2010): `FDDB-fold-NN-ellipseList.txt` files with one entry per
 * image (name, face count, then `major_radius minor_radius angle center_x center_y 1` per face).
 * Names in the fold list `FDDB-fold-NN.txt` without an ellipse entry are reported as skipped.
 * Each face keeps its ellipse for evaluation and gets the ellipse's bounding box for training.
 */
export class FddbSource implements DataSource {
  readonly name: string;
  readonly #root: string;
  readonly #folds: number[] | undefined;
  readonly #foldsDir: string;
  readonly #imagesDir: string;
  readonly #logger: Logger;

  constructor(options: z.output<typeof fddbOptions> & { name: string; root: string; logger: Logger }) {
    this.name = options.name;
    this.#root = options.root;
    this.#folds = options.folds;
    this.#foldsDir = path.resolve(options.root, options.foldsDir);
    this.#imagesDir = path.resolve(options.root, options.imagesDir);
    this.#logger = options.logger;
  }

  async *images(): AsyncIterable<AnnotatedImage> {
    await requirePath(this.#foldsDir, 'folder', `FDDB folds folder of source "${this.name}"`);
    const skipped: SkippedItem[] = [];

    for (const fold of await this.#foldsToRead()) {
      const listFile = path.join(this.#foldsDir, `FDDB-fold-${String(fold).padStart(2, '0')}-ellipseList.txt`);
      const { entries, names } = parseEllipseList(await fs.readFile(listFile, 'utf8'), listFile, skipped);
      await this.#checkFoldList(fold, names, skipped);
      for (const entry of entries) {
        const file = path.join(this.#imagesDir, `${entry.name}.jpg`);
        let size: { width: number; height: number };
        try {
          size = await readImageSize(file);
        } catch (error) {
          skipped.push({
            item: `${entry.name} (${path.basename(listFile)} line ${entry.line})`,
            reason: reasonOf(error),
          });
          continue;
        }

        const faces: Face[] = [];
        for (const ellipse of entry.ellipses) {
          const box = ellipseBounds(ellipse);
          const problem = boxProblem(box, size.width, size.height);
          if (problem) {
            skipped.push({ item: `${entry.name} face ${faces.length}`, reason: problem });
            continue;
          }
          faces.push({ box, ellipse, attributes: { fold } });
        }
        yield { id: entry.name, source: this.name, path: file, ...size, faces };
      }
    }
    this.#logger.warnSkipped(`FDDB items in source "${this.name}"`, skipped);
  }

  /** Records the images that the fold list names but the ellipse list lacks; a missing fold list is fine. */
  async #checkFoldList(fold: number, annotated: ReadonlySet<string>, skipped: SkippedItem[]): Promise<void> {
    const foldFile = path.join(this.#foldsDir, `FDDB-fold-${String(fold).padStart(2, '0')}.txt`);
    const text = await fs.readFile(foldFile, 'utf8').catch(() => undefined);
    if (text === undefined) {
      return;
    }
    for (const name of text.split(/\r?\n/).map((line) => line.trim())) {
      if (name !== '' && !annotated.has(name)) {
        skipped.push({
          item: `${name} (${path.basename(foldFile)})`,
          reason: 'listed in the fold but missing from its ellipse list',
        });
      }
    }
  }

  async #foldsToRead(): Promise<number[]> {
    const present: number[] = [];
    for (let fold = 1; fold <= FDDB_FOLDS; fold += 1) {
      const file = path.join(this.#foldsDir, `FDDB-fold-${String(fold).padStart(2, '0')}-ellipseList.txt`);
      if (await fs.stat(file).catch(() => undefined)) {
        present.push(fold);
      }
    }
    const requested = this.#folds ?? present;
    const missing = requested.filter((fold) => !present.includes(fold));
    if (missing.length > 0 || requested.length === 0) {
      throw new CascadeError(
        `FDDB source "${this.name}": no ellipse list for fold(s) ${missing.join(', ') || '(any)'} in ${this.#foldsDir}; ` +
          `folds present: ${present.join(', ') || 'none'}. Set "folds" to present folds or point "root" at the FDDB folder.`,
      );
    }
    return requested;
  }
}

/**
 * Parses an FDDB ellipse list. An entry with a malformed face line is skipped and recorded with its
 * line number. A face count that is not a number is a structural error, because the rest of the
 * file cannot be aligned after it.
 */
export function parseEllipseList(
  text: string,
  file: string,
  skipped: SkippedItem[],
): { entries: EllipseEntry[]; names: Set<string> } {
  const lines = text.split(/\r?\n/);
  const entries: EllipseEntry[] = [];
  // Every image name in the list, including entries skipped for a malformed line.
  const names = new Set<string>();
  let index = 0;
  const nextLine = () => {
    while (index < lines.length && (lines[index] as string).trim() === '') {
      index += 1;
    }
    index += 1;
    return index <= lines.length ? (lines[index - 1] as string).trim() : undefined;
  };

  for (let name = nextLine(); name !== undefined; name = nextLine()) {
    const nameLine = index;
    names.add(name);
    const countText = nextLine();
    const count = Number(countText);
    if (countText === undefined || !Number.isInteger(count) || count < 0) {
      throw new CascadeError(
        `Invalid FDDB ellipse list ${file}, line ${index}: expected the face count of "${name}", found ${countText === undefined ? 'the end of the file' : `"${countText}"`}.`,
      );
    }

    const ellipses: Ellipse[] = [];
    let problem: string | undefined;
    for (let face = 0; face < count; face += 1) {
      const text = nextLine();
      const values = text === undefined ? undefined : parseNumbers(text);
      if (!values || values.length < 5) {
        problem ??= `line ${index}: expected "major_radius minor_radius angle center_x center_y 1", found "${text ?? ''}"`;
        continue;
      }
      const [majorRadius, minorRadius, angle, centerX, centerY] = values as [number, number, number, number, number];
      ellipses.push({ majorRadius, minorRadius, angle, centerX, centerY });
    }
    if (problem) {
      skipped.push({ item: `${name} (${path.basename(file)})`, reason: problem });
      continue;
    }
    entries.push({ name, line: nameLine, ellipses });
  }
  return { entries, names };
}

/** Axis-aligned bounding box of a rotated ellipse (angle in radians from the x axis to the major axis). */
export function ellipseBounds(ellipse: Ellipse): Box {
  const cos = Math.cos(ellipse.angle);
  const sin = Math.sin(ellipse.angle);
  const halfWidth = Math.hypot(ellipse.majorRadius * cos, ellipse.minorRadius * sin);
  const halfHeight = Math.hypot(ellipse.majorRadius * sin, ellipse.minorRadius * cos);
  return { x: ellipse.centerX - halfWidth, y: ellipse.centerY - halfHeight, w: 2 * halfWidth, h: 2 * halfHeight };
}

export const fddbSource = definePlugin({
  kind: 'source',
  type: 'fddb',
  description: 'FDDB fold ellipse lists with their images; ellipses kept, bounding boxes for training.',
  options: fddbOptions,
  create: (options, context) =>
    new FddbSource({
      ...options,
      name: options.name ?? 'fddb',
      root: resolveDataPath(context.runtime, options.root),
      logger: context.logger,
    }),
});
