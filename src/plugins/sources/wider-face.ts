import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { DataSource } from '../../core/data-source.js';
import { CascadeError } from '../../core/errors.js';
import { readImageSize } from '../../core/image/index.js';
import type { Logger } from '../../core/logger.js';
import { definePlugin } from '../../core/registry.js';
import { resolveDataPath } from '../../core/runtime.js';
import type { AnnotatedImage, Face } from '../../core/types.js';
import { boxProblem, parseNumbers, reasonOf, requirePath, type SkippedItem, sourceBaseOptions } from './common.js';

// Attribute columns after `x y w h` in wider_face_*_bbx_gt.txt, in file order.
const ATTRIBUTE_COLUMNS = ['blur', 'expression', 'illumination', 'invalid', 'occlusion', 'pose'] as const;

// Attribute codes of the WIDER FACE annotation: blur 2 is heavy, illumination 1 is extreme, occlusion 2 is heavy.
const HEAVY_BLUR = 2;
const EXTREME_ILLUMINATION = 1;
const HEAVY_OCCLUSION = 2;

export const widerFaceOptions = sourceBaseOptions
  .extend({
    /** Annotation file, relative to root; defaults to the one `wider_face_*_bbx_gt.txt` in root. */
    annotations: z.string().optional(),
    /** Folder of the images, relative to root. */
    imagesDir: z.string().default('images'),
    /** Marks heavily blurred faces (blur 2) as ignored. */
    skipHeavyBlur: z.boolean().default(true),
    /** Marks faces under extreme illumination (illumination 1) as ignored. */
    skipExtremeIllumination: z.boolean().default(true),
    /** Marks heavily occluded faces (occlusion 2) as ignored. */
    skipHeavyOcclusion: z.boolean().default(true),
    /** Faces smaller than this many pixels on their longer side are marked ignored. */
    minFaceSize: z.number().nonnegative().default(0),
  })
  .strict();

declare module '../../core/config/plugin-types.js' {
  interface SourceTypes {
    'wider-face': z.input<typeof widerFaceOptions>;
  }
}

type WiderOptions = z.output<typeof widerFaceOptions>;

/** One image entry of the annotation file, before its file is checked. */
interface WiderEntry {
  name: string;
  line: number;
  faces: Face[];
}

/**
 * WIDER FACE (Yang et al., CVPR 2016): `wider_face_*_bbx_gt.txt` lists each image path, its box
 * count, then `x y w h blur expression illumination invalid occlusion pose` per box. An image with
 * no face has count 0 followed by one line of zeros. Faces flagged invalid or caught by a filter
 * stay in the image with `ignore: true`, so that negatives still avoid them.
 */
export class WiderFaceSource implements DataSource {
  readonly name: string;
  readonly #root: string;
  readonly #options: WiderOptions;
  readonly #logger: Logger;

  constructor(options: WiderOptions & { name: string; root: string; logger: Logger }) {
    this.name = options.name;
    this.#root = options.root;
    this.#options = options;
    this.#logger = options.logger;
  }

  async *images(): AsyncIterable<AnnotatedImage> {
    await requirePath(this.#root, 'folder', `WIDER FACE folder of source "${this.name}"`);
    const file = await this.#annotationFile();
    const skipped: SkippedItem[] = [];
    const entries = parseWiderAnnotations(await fs.readFile(file, 'utf8'), file, skipped);
    const imagesDir = path.resolve(this.#root, this.#options.imagesDir);

    for (const entry of entries) {
      const imagePath = path.join(imagesDir, entry.name);
      let size: { width: number; height: number };
      try {
        size = await readImageSize(imagePath);
      } catch (error) {
        skipped.push({ item: `${entry.name} (line ${entry.line})`, reason: reasonOf(error) });
        continue;
      }

      const faces: Face[] = [];
      for (const face of entry.faces) {
        const problem = boxProblem(face.box, size.width, size.height);
        if (problem) {
          skipped.push({ item: `${entry.name} face ${faces.length}`, reason: problem });
          continue;
        }
        face.ignore = this.#ignores(face);
        faces.push(face);
      }
      yield { id: entry.name.replace(/\.[^.]+$/, ''), source: this.name, path: imagePath, ...size, faces };
    }
    this.#logger.warnSkipped(`WIDER FACE items in source "${this.name}"`, skipped);
  }

  #ignores(face: Face): boolean {
    const { attributes, box } = face;
    return (
      attributes.invalid === 1 ||
      (this.#options.skipHeavyBlur && attributes.blur === HEAVY_BLUR) ||
      (this.#options.skipExtremeIllumination && attributes.illumination === EXTREME_ILLUMINATION) ||
      (this.#options.skipHeavyOcclusion && attributes.occlusion === HEAVY_OCCLUSION) ||
      Math.max(box.w, box.h) < this.#options.minFaceSize
    );
  }

  async #annotationFile(): Promise<string> {
    if (this.#options.annotations) {
      const file = path.resolve(this.#root, this.#options.annotations);
      await requirePath(file, 'file', `WIDER FACE annotation file of source "${this.name}"`);
      return file;
    }
    const candidates = (await fs.readdir(this.#root)).filter((name) => /^wider_face_.*_bbx_gt\.txt$/.test(name));
    if (candidates.length !== 1) {
      throw new CascadeError(
        `WIDER FACE source "${this.name}": expected one wider_face_*_bbx_gt.txt in ${this.#root}, found ${candidates.length > 0 ? candidates.join(', ') : 'none'}. Set "annotations" to the file to read.`,
      );
    }
    return path.join(this.#root, candidates[0] as string);
  }
}

/**
 * Parses a WIDER FACE box list. An entry with a malformed box line is skipped and recorded with its
 * line number. A count that is not a number is a structural error, because the entries after it
 * cannot be aligned.
 */
export function parseWiderAnnotations(text: string, file: string, skipped: SkippedItem[]): WiderEntry[] {
  const lines = text.split(/\r?\n/);
  const entries: WiderEntry[] = [];
  let index = 0;

  while (index < lines.length) {
    const name = (lines[index] as string).trim();
    index += 1;
    if (name === '') {
      continue;
    }
    const nameLine = index;
    const countText = lines[index]?.trim();
    const count = Number(countText);
    index += 1;
    if (countText === undefined || countText === '' || !Number.isInteger(count) || count < 0) {
      throw new CascadeError(
        `Invalid WIDER FACE annotation file ${file}, line ${index}: expected the box count of "${name}", found ${countText === undefined ? 'the end of the file' : `"${countText}"`}.`,
      );
    }

    // An image without faces is followed by one placeholder line of zeros.
    const boxLines = Math.max(count, 1);
    const faces: Face[] = [];
    let problem: string | undefined;
    for (let box = 0; box < boxLines; box += 1) {
      const lineNumber = index + 1;
      const lineText = lines[index] ?? '';
      index += 1;
      if (count === 0) {
        continue;
      }
      const values = parseNumbers(lineText);
      if (!values || values.length < 4 + ATTRIBUTE_COLUMNS.length) {
        problem ??= `line ${lineNumber}: expected "x y w h blur expression illumination invalid occlusion pose", found "${lineText.trim()}"`;
        continue;
      }
      const [x, y, w, h] = values as [number, number, number, number];
      const attributes = Object.fromEntries(ATTRIBUTE_COLUMNS.map((column, at) => [column, values[4 + at] as number]));
      faces.push({ box: { x, y, w, h }, attributes });
    }
    if (problem) {
      skipped.push({ item: `${name} (${path.basename(file)})`, reason: problem });
      continue;
    }
    entries.push({ name, line: nameLine, faces });
  }
  return entries;
}

export const widerFaceSource = definePlugin({
  kind: 'source',
  type: 'wider-face',
  description: 'WIDER FACE box lists with attributes; invalid, heavily blurred, badly lit or occluded faces ignored.',
  options: widerFaceOptions,
  create: (options, context) =>
    new WiderFaceSource({
      ...options,
      name: options.name ?? 'wider-face',
      root: resolveDataPath(context.runtime, options.root),
      logger: context.logger,
    }),
});
