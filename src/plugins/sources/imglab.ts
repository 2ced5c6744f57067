import fs from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import type { DataSource } from '../../core/data-source.js';
import { CascadeError } from '../../core/errors.js';
import { readImageSize } from '../../core/image/index.js';
import type { Logger } from '../../core/logger.js';
import { definePlugin } from '../../core/registry.js';
import { resolveDataPath } from '../../core/runtime.js';
import type { AnnotatedImage, Face } from '../../core/types.js';
import { boxProblem, reasonOf, requirePath, type SkippedItem, sourceBaseOptions } from './common.js';

export const imglabOptions = sourceBaseOptions.strict();

declare module '../../core/config/plugin-types.js' {
  interface SourceTypes {
    imglab: z.input<typeof imglabOptions>;
  }
}

/** One `<image>` element, before its file is checked. */
interface ImglabEntry {
  file: string;
  line: number;
  width?: number;
  height?: number;
  faces: Face[];
}

/**
 * dlib imglab XML (`<images><image file=...><box top left width height/></image></images>`).
 * Image paths are relative to the XML file; boxes with `ignore='1'` become ignored faces.
 */
export class ImglabSource implements DataSource {
  readonly name: string;
  readonly #file: string;
  readonly #logger: Logger;

  constructor(options: { name: string; file: string; logger: Logger }) {
    this.name = options.name;
    this.#file = options.file;
    this.#logger = options.logger;
  }

  async *images(): AsyncIterable<AnnotatedImage> {
    await requirePath(this.#file, 'file', `imglab XML file of source "${this.name}"`);
    const skipped: SkippedItem[] = [];
    const entries = parseImglabXml(await fs.readFile(this.#file, 'latin1'), this.#file, skipped);
    const dir = path.dirname(this.#file);

    for (const entry of entries) {
      const imagePath = path.resolve(dir, entry.file);
      let size: { width: number; height: number };
      try {
        size = await readImageSize(imagePath);
      } catch (error) {
        skipped.push({ item: `${entry.file} (line ${entry.line})`, reason: reasonOf(error) });
        continue;
      }
      const faces = entry.faces.filter((face, index) => {
        const problem = boxProblem(face.box, size.width, size.height);
        if (problem) {
          skipped.push({ item: `${entry.file} box ${index}`, reason: problem });
        }
        return !problem;
      });
      yield { id: entry.file, source: this.name, path: imagePath, ...size, faces };
    }
    this.#logger.warnSkipped(`imglab items in source "${this.name}"`, skipped);
  }
}

/**
 * Parses the `<image>` and `<box>` elements of an imglab XML file. A box without numeric
 * top, left, width and height is skipped and recorded with its line number.
 */
export function parseImglabXml(text: string, file: string, skipped: SkippedItem[]): ImglabEntry[] {
  if (!/<images[\s>]/.test(text)) {
    throw new CascadeError(`Invalid imglab XML ${file}: no <images> element found. Expected dlib imglab's format.`);
  }
  const lineAt = (offset: number) => text.slice(0, offset).split('\n').length;
  const entries: ImglabEntry[] = [];

  const imagePattern = /<image\b([^>]*?)(\/>|>([\s\S]*?)<\/image>)/g;
  for (const match of text.matchAll(imagePattern)) {
    const attributes = parseAttributes(match[1] as string);
    const line = lineAt(match.index);
    if (!attributes.file) {
      skipped.push({ item: `${path.basename(file)} line ${line}`, reason: '<image> has no file attribute' });
      continue;
    }
    const faces: Face[] = [];
    const body = match[3] ?? '';
    const bodyOffset = match.index + match[0].indexOf(body);
    for (const boxMatch of body.matchAll(/<box\b([^>]*?)\/?>/g)) {
      const box = parseAttributes(boxMatch[1] as string);
      const values = ['left', 'top', 'width', 'height'].map((name) => Number(box[name] ?? Number.NaN));
      if (values.some((value) => !Number.isFinite(value))) {
        skipped.push({
          item: `${attributes.file} (line ${lineAt(bodyOffset + boxMatch.index)})`,
          reason: '<box> needs numeric top, left, width and height attributes',
        });
        continue;
      }
      const [x, y, w, h] = values as [number, number, number, number];
      const ignore = box.ignore === '1' || box.ignore === 'true';
      faces.push({ box: { x, y, w, h }, ...(ignore ? { ignore } : {}), attributes: {} });
    }
    entries.push({
      file: attributes.file,
      line,
      width: attributes.width ? Number(attributes.width) : undefined,
      height: attributes.height ? Number(attributes.height) : undefined,
      faces,
    });
  }
  return entries;
}

function parseAttributes(text: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const match of text.matchAll(/([\w:-]+)\s*=\s*(['"])(.*?)\2/g)) {
    attributes[match[1] as string] = decodeEntities(match[3] as string);
  }
  return attributes;
}

function decodeEntities(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
    .replace(/&amp;/g, '&');
}

export const imglabSource = definePlugin({
  kind: 'source',
  type: 'imglab',
  description: 'dlib imglab XML: images with <box top left width height/> face boxes; root is the XML file.',
  options: imglabOptions,
  create: (options, context) =>
    new ImglabSource({
      name: options.name ?? 'imglab',
      file: resolveDataPath(context.runtime, options.root),
      logger: context.logger,
    }),
});
