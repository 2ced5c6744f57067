import { z } from 'zod';
import type { Augmenter } from '../../core/augmenter.js';
import { CALIBRATION_PATTERNS, shiftForPattern } from '../../core/geometry.js';
import { cropAndResizeMany } from '../../core/image/index.js';
import type { Logger } from '../../core/logger.js';
import { definePlugin } from '../../core/registry.js';
import type { AnnotatedImage, Sample } from '../../core/types.js';
import { augmenterBaseOptions, faceSquares } from './common.js';

export const calibrationOptions = augmenterBaseOptions
  .extend({
    /** Faces whose box is smaller than this many pixels on its longer side are left out. */
    minFaceSize: z.number().nonnegative().default(0),
  })
  .strict();

declare module '../../core/config/plugin-types.js' {
  interface AugmenterTypes {
    calibration: z.input<typeof calibrationOptions>;
  }
}

/**
 * Calibration samples: for each face and each of the 45 calibration patterns, the square
 * around the face shifted by the inverse of the pattern, labeled with the pattern's index
 * in CALIBRATION_PATTERNS. A calibration net that predicts pattern n for such a crop moves
 * it back onto the face with `applyCalibration`.
 */
export class CalibrationShifter implements Augmenter {
  readonly name = 'calibration';
  readonly numClasses = CALIBRATION_PATTERNS.length;
  readonly size: number;
  readonly #options: z.output<typeof calibrationOptions>;
  readonly #logger: Logger;

  constructor(options: z.output<typeof calibrationOptions>, logger: Logger) {
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
      const windows = CALIBRATION_PATTERNS.map((pattern) => shiftForPattern(square, pattern));
      const crops = cropAndResizeMany(rgb, windows, this.size);
      for (const [label, pixels] of crops.entries()) {
        yield { size: this.size, label, group, pixels };
      }
    }
  }
}

export const calibrationAugmenter = definePlugin({
  kind: 'augmenter',
  type: 'calibration',
  description: 'Calibration crops: each face shifted by the inverse of each of the 45 patterns, labeled 0..44.',
  options: calibrationOptions,
  create: (options, context) => new CalibrationShifter(options, context.logger),
});
