import { z } from 'zod';
import type { Augmenter } from '../../core/augmenter.js';
import { cropAndResize } from '../../core/image/index.js';
import type { Logger } from '../../core/logger.js';
import { definePlugin } from '../../core/registry.js';
import { type AnnotatedImage, LABEL_FACE, type Sample } from '../../core/types.js';
import { augmenterBaseOptions, faceSquares } from './common.js';

export const positivesOptions = augmenterBaseOptions
  .extend({
    /** Also yields each crop flipped left to right. */
    mirror: z.boolean().default(false),
    /** Faces whose box is smaller than this many pixels on its longer side are left out. */
    minFaceSize: z.number().nonnegative().default(0),
  })
  .strict();

declare module '../../core/config/plugin-types.js' {
  interface AugmenterTypes {
    positives: z.input<typeof positivesOptions>;
  }
}

/**
 * Face crops labeled LABEL_FACE: the square around each face box, resized to size x size.
 * For crop images (a folder of face crops) the square is the largest centered one inside the
 * image, because a crop is already framed around its face and padding it would add black bars.
 */
export class PositiveCropper implements Augmenter {
  readonly name = 'positives';
  readonly numClasses = 2;
  readonly size: number;
  readonly #options: z.output<typeof positivesOptions>;
  readonly #logger: Logger;

  constructor(options: z.output<typeof positivesOptions>, logger: Logger) {
    this.size = options.size;
    this.#options = options;
    this.#logger = logger;
  }

  async *samples(images: AsyncIterable<AnnotatedImage>): AsyncIterable<Sample> {
    const faces = faceSquares(images, {
      augmenter: this.name,
      logger: this.#logger,
      sources: this.#options.sources,
      minFaceSize: this.#options.minFaceSize,
    });
    for await (const { rgb, group, square } of faces) {
      const pixels = cropAndResize(rgb, square, this.size);
      yield { size: this.size, label: LABEL_FACE, group, pixels };
      if (this.#options.mirror) {
        yield { size: this.size, label: LABEL_FACE, group, pixels: mirrorCrop(pixels, this.size) };
      }
    }
  }
}

/** Returns a copy of a square RGB crop flipped left to right. */
export function mirrorCrop(pixels: Uint8Array, size: number): Uint8Array {
  const mirrored = new Uint8Array(pixels.length);
  for (let y = 0; y < size; y += 1) {
    for (let x = 0; x < size; x += 1) {
      const from = (y * size + x) * 3;
      mirrored.set(pixels.subarray(from, from + 3), (y * size + size - 1 - x) * 3);
    }
  }
  return mirrored;
}

export const positivesAugmenter = definePlugin({
  kind: 'augmenter',
  type: 'positives',
  description: 'Face crops: the square around each face, resized to 12, 24 or 48 pixels, optionally mirrored.',
  options: positivesOptions,
  create: (options, context) => new PositiveCropper(options, context.logger),
});
