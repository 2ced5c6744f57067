import type { AnnotatedImage } from './types.js';

/**
 * A reader of annotated images (AFLW, WIDER FACE, FDDB, imglab XML, folders).
 *
 * Implementations skip bad items (undecodable images, boxes outside the image, malformed lines)
 * with one summarized warning, and throw on structural errors such as a missing annotation file.
 */
export interface DataSource {
  /** Name used in logs, sample groups and augmenter filters. */
  readonly name: string;
  images(): AsyncIterable<AnnotatedImage>;
}
