import type { AnnotatedImage, Sample } from './types.js';

/**
 * Turns annotated images into training samples: positive crops, random negatives,
 * calibration shifts, hard negatives mined by earlier cascade stages.
 */
export interface Augmenter {
  readonly name: string;
  /** Crop side in pixels of the samples it yields. */
  readonly size: number;
  /** Number of classes its labels index (2 for detection, 45 for calibration). */
  readonly numClasses: number;
  samples(images: AsyncIterable<AnnotatedImage>): AsyncIterable<Sample>;
  /**
   * Content the samples depend on beyond the augmenter's options, such as a digest of the trained
   * nets a hard-negative miner runs. It joins the sample store's cache key, so that retraining an
   * earlier net invalidates the stores built from it.
   */
  cacheKey?(): Promise<string>;
}
