import path from 'node:path';
import type { z } from 'zod';
import type { DataSource } from '../../core/data-source.js';
import { CascadeError } from '../../core/errors.js';
import { listImageFiles, readImageSize } from '../../core/image/index.js';
import type { Logger } from '../../core/logger.js';
import { definePlugin } from '../../core/registry.js';
import { resolveDataPath } from '../../core/runtime.js';
import type { AnnotatedImage } from '../../core/types.js';
import { reasonOf, requirePath, type SkippedItem, sourceBaseOptions } from './common.js';

export const imageFolderOptions = sourceBaseOptions.strict();
export const backgroundsOptions = sourceBaseOptions.strict();

declare module '../../core/config/plugin-types.js' {
  interface SourceTypes {
    'image-folder': z.input<typeof imageFolderOptions>;
    backgrounds: z.input<typeof backgroundsOptions>;
  }
}

export type FolderContent = 'face-crops' | 'backgrounds';

/**
 * Every JPEG or PNG under a folder tree: either face crops (the whole image is one face) or
 * face-free backgrounds (every window is a negative). Files whose header cannot be read are skipped.
 */
export class ImageFolderSource implements DataSource {
  readonly name: string;
  readonly #root: string;
  readonly #content: FolderContent;
  readonly #logger: Logger;

  constructor(options: { name: string; root: string; content: FolderContent; logger: Logger }) {
    this.name = options.name;
    this.#root = options.root;
    this.#content = options.content;
    this.#logger = options.logger;
  }

  async *images(): AsyncIterable<AnnotatedImage> {
    await requirePath(this.#root, 'folder', `Image folder of source "${this.name}"`);
    const files = await listImageFiles(this.#root);
    if (files.length === 0) {
      throw new CascadeError(`Source "${this.name}" found no .jpg, .jpeg or .png file under ${this.#root}.`);
    }

    const skipped: SkippedItem[] = [];
    for (const file of files) {
      const id = path.relative(this.#root, file).split(path.sep).join('/');
      let size: { width: number; height: number };
      try {
        size = await readImageSize(file);
      } catch (error) {
        skipped.push({ item: file, reason: reasonOf(error) });
        continue;
      }
      yield this.#content === 'face-crops'
        ? {
            id,
            source: this.name,
            path: file,
            ...size,
            crop: true,
            faces: [{ box: { x: 0, y: 0, w: size.width, h: size.height }, attributes: {} }],
          }
        : { id, source: this.name, path: file, ...size, faceFree: true, faces: [] };
    }
    this.#logger.warnSkipped(`unreadable images in source "${this.name}"`, skipped);
  }
}

export const imageFolderSource = definePlugin({
  kind: 'source',
  type: 'image-folder',
  description: 'Every JPEG or PNG under a folder tree, each image one face crop.',
  options: imageFolderOptions,
  create: (options, context) =>
    new ImageFolderSource({
      name: options.name ?? 'image-folder',
      root: resolveDataPath(context.runtime, options.root),
      content: 'face-crops',
      logger: context.logger,
    }),
});

export const backgroundsSource = definePlugin({
  kind: 'source',
  type: 'backgrounds',
  description: 'Every JPEG or PNG under a folder tree, each image free of faces (a source of negatives).',
  options: backgroundsOptions,
  create: (options, context) =>
    new ImageFolderSource({
      name: options.name ?? 'backgrounds',
      root: resolveDataPath(context.runtime, options.root),
      content: 'backgrounds',
      logger: context.logger,
    }),
});
