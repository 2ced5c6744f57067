import { z } from 'zod';
import type { Augmenter } from '../../core/augmenter.js';
import { iou } from '../../core/geometry.js';
import { cropAndResize } from '../../core/image/index.js';
import type { Logger } from '../../core/logger.js';
import { definePlugin } from '../../core/registry.js';
import { type AnnotatedImage, type Box, LABEL_NON_FACE, type Sample } from '../../core/types.js';
import { augmenterBaseOptions, decodeImages, groupOf, type Random, seededRandom } from './common.js';

// Li et al. (CVPR 2015) train on windows that overlap no face by more than this IoU.
const DEFAULT_MAX_IOU = 0.3;
// Each wanted window gets this many random draws before the image is given up on.
const ATTEMPTS_PER_WINDOW = 20;

export const negativesOptions = augmenterBaseOptions
  .extend({
    /** Windows drawn from each image. */
    windowsPerImage: z.number().int().positive().default(20),
    /** Smallest window side in pixels; defaults to the crop size. */
    minWindow: z.number().int().positive().optional(),
    /** Windows whose IoU with any face reaches this value are rejected. */
    maxIou: z.number().min(0).max(1).default(DEFAULT_MAX_IOU),
    /** Also draws windows from the face-free parts of annotated images, not only from face-free images. */
    useFaceImages: z.boolean().default(true),
    /** Seed of the window draws; defaults to the project seed. */
    seed: z.number().int().nonnegative().optional(),
  })
  .strict();

declare module '../../core/config/plugin-types.js' {
  interface AugmenterTypes {
    negatives: z.input<typeof negativesOptions>;
  }
}

/**
 * Random square windows labeled LABEL_NON_FACE, at sides drawn log-uniformly between `minWindow`
 * and the image's shorter side, each with IoU below `maxIou` against every annotated face
 * (ignored faces included). Face crops are never sampled. Draws are seeded per image.
 */
export class NegativeSampler implements Augmenter {
  readonly name = 'negatives';
  readonly numClasses = 2;
  readonly size: number;
  readonly #options: z.output<typeof negativesOptions>;
  readonly #seed: number;
  readonly #logger: Logger;

  constructor(options: z.output<typeof negativesOptions>, seed: number, logger: Logger) {
    this.size = options.size;
    this.#options = options;
    this.#seed = options.seed ?? seed;
    this.#logger = logger;
  }

  async *samples(images: AsyncIterable<AnnotatedImage>): AsyncIterable<Sample> {
    const decoded = decodeImages(images, {
      augmenter: this.name,
      logger: this.#logger,
      sources: this.#options.sources,
      accept: (image) => !image.crop && (image.faceFree === true || this.#options.useFaceImages),
    });
    for await (const { image, rgb } of decoded) {
      const group = groupOf(image);
      const random = seededRandom(this.#seed, group);
      for (const window of this.drawWindows(image, rgb.width, rgb.height, random)) {
        yield { size: this.size, label: LABEL_NON_FACE, group, pixels: cropAndResize(rgb, window, this.size) };
      }
    }
  }

  /** Draws up to `windowsPerImage` windows inside the image that overlap no face. */
  drawWindows(image: AnnotatedImage, width: number, height: number, random: Random): Box[] {
    const shorter = Math.min(width, height);
    const minSide = Math.min(this.#options.minWindow ?? this.size, shorter);
    const faces = image.faceFree ? [] : image.faces.map((face) => face.box);
    const windows: Box[] = [];

    const attempts = this.#options.windowsPerImage * ATTEMPTS_PER_WINDOW;
    for (let attempt = 0; attempt < attempts && windows.length < this.#options.windowsPerImage; attempt += 1) {
      const side = Math.round(minSide * (shorter / minSide) ** random());
      const window = {
        x: Math.floor(random() * (width - side + 1)),
        y: Math.floor(random() * (height - side + 1)),
        w: side,
        h: side,
      };
      if (faces.every((face) => iou(window, face) < this.#options.maxIou)) {
        windows.push(window);
      }
    }
    return windows;
  }
}

export const negativesAugmenter = definePlugin({
  kind: 'augmenter',
  type: 'negatives',
  description: 'Random non-face windows (IoU below 0.3 with every face) from face-free images and face images.',
  options: negativesOptions,
  create: (options, context) => new NegativeSampler(options, context.runtime.seed, context.logger),
});
