import { createHash } from 'node:crypto';
import { z } from 'zod';
import { squareAround } from '../../core/geometry.js';
import { loadRgb, type RgbImage } from '../../core/image/index.js';
import type { Logger } from '../../core/logger.js';
import type { AnnotatedImage, Box } from '../../core/types.js';

// Images decoded ahead of the one being cropped. sharp decodes on libuv worker threads, so a few
// decodes in flight keep both the decoder and the cropping loop busy.
const DECODE_LOOKAHEAD = 3;

/** Crop sides of the three cascade stages, in pixels. */
export const CROP_SIZES = [12, 24, 48] as const;

/** Options every augmenter takes: the crop size and which sources it reads. */
export const augmenterBaseOptions = z.object({
  size: z.union([z.literal(12), z.literal(24), z.literal(48)], {
    errorMap: () => ({ message: 'expected a crop size of 12, 24 or 48 pixels' }),
  }),
  /** Names of the sources whose images this augmenter reads; all sources when omitted. */
  sources: z.array(z.string().min(1)).min(1).optional(),
});

/** An image with its decoded pixels. */
export interface DecodedImage {
  image: AnnotatedImage;
  rgb: RgbImage;
}

/** Returns the sample group of an image, `source:id`, which is the same for every crop taken from it. */
export function groupOf(image: AnnotatedImage): string {
  return `${image.source}:${image.id}`;
}

/**
 * Decodes the images that `accept` lets through and that come from `sources` (all when undefined),
 * in input order. Up to DECODE_LOOKAHEAD decodes run ahead on sharp's worker threads while the
 * caller crops the current image. Images that fail to decode are skipped and reported in one
 * warning at the end.
 */
export async function* decodeImages(
  images: AsyncIterable<AnnotatedImage>,
  options: {
    augmenter: string;
    logger: Logger;
    sources?: readonly string[];
    accept?: (image: AnnotatedImage) => boolean;
  },
): AsyncIterable<DecodedImage> {
  const skipped: Array<{ item: string; reason: string }> = [];
  const pending: Array<Promise<DecodeResult>> = [];

  const next = async function* (): AsyncIterable<DecodedImage> {
    const result = await (pending.shift() as Promise<DecodeResult>);
    if ('error' in result) {
      skipped.push({ item: result.image.path, reason: result.error });
    } else {
      yield result;
    }
  };

  for await (const image of images) {
    if (options.sources && !options.sources.includes(image.source)) {
      continue;
    }
    if (options.accept && !options.accept(image)) {
      continue;
    }
    pending.push(decodeOne(image));
    if (pending.length > DECODE_LOOKAHEAD) {
      yield* next();
    }
  }
  while (pending.length > 0) {
    yield* next();
  }
  options.logger.warnSkipped(`images that failed to decode (augmenter "${options.augmenter}")`, skipped);
}

type DecodeResult = DecodedImage | { image: AnnotatedImage; error: string };

/** Decodes one image; a failure becomes a result instead of a rejection, so that no rejection goes unhandled while queued. */
async function decodeOne(image: AnnotatedImage): Promise<DecodeResult> {
  try {
    return { image, rgb: await loadRgb(image) };
  } catch (error) {
    return { image, error: error instanceof Error ? error.message : String(error) };
  }
}

/** True when a face box can be cropped: finite, of positive size, and overlapping the image. */
export function isUsableBox(box: Box, width: number, height: number): boolean {
  const finite = [box.x, box.y, box.w, box.h].every(Number.isFinite);
  return finite && box.w > 0 && box.h > 0 && box.x < width && box.y < height && box.x + box.w > 0 && box.y + box.h > 0;
}

/** A seeded random generator (mulberry32) returning floats in [0, 1). */
export type Random = () => number;

/** A generator seeded by `seed` and a string, so that each image draws the same windows in any order. */
export function seededRandom(seed: number, key: string): Random {
  let state = createHash('sha256').update(`${seed}:${key}`).digest().readUInt32LE(0);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Returns the largest square centered in a width x height image. */
export function centeredSquare(width: number, height: number): Box {
  const side = Math.min(width, height);
  return { x: (width - side) / 2, y: (height - side) / 2, w: side, h: side };
}

/** A face to crop: its decoded image, its sample group and the square around it. */
export interface FaceSquare {
  rgb: RgbImage;
  group: string;
  square: Box;
}

/**
 * Yields the square around every usable face of the images that contain faces. Crop images (a
 * folder of face crops) give the largest centered square, because a crop is already framed
 * around its face and padding it would add black bars. Ignored faces and faces smaller than
 * `minFaceSize` on their longer side are left out. Boxes that are empty or outside the image
 * are reported in one warning at the end.
 */
export async function* faceSquares(
  images: AsyncIterable<AnnotatedImage>,
  options: { augmenter: string; logger: Logger; sources?: readonly string[]; minFaceSize: number },
): AsyncIterable<FaceSquare> {
  const skipped: Array<{ item: string; reason: string }> = [];
  const decoded = decodeImages(images, {
    augmenter: options.augmenter,
    logger: options.logger,
    sources: options.sources,
    accept: (image) => !image.faceFree && image.faces.length > 0,
  });

  for await (const { image, rgb } of decoded) {
    const group = groupOf(image);
    for (const [index, face] of image.faces.entries()) {
      if (face.ignore || Math.max(face.box.w, face.box.h) < options.minFaceSize) {
        continue;
      }
      if (!isUsableBox(face.box, rgb.width, rgb.height)) {
        skipped.push({
          item: `${group} face ${index}`,
          reason: `box ${JSON.stringify(face.box)} is empty or outside the ${rgb.width}x${rgb.height} image`,
        });
        continue;
      }
      const square = image.crop ? centeredSquare(rgb.width, rgb.height) : squareAround(face.box);
      yield { rgb, group, square };
    }
  }
  options.logger.warnSkipped(`faces with unusable boxes (augmenter "${options.augmenter}")`, skipped);
}
