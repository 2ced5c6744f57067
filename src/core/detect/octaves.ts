import { cropAndResize, type RgbImage } from '../image/index.js';
import type { Box } from '../types.js';

/**
 * An image with copies halved in size again and again (2x2 area averages), so that a crop of any
 * window reads a copy in which the window is two to four times the crop size. Area averaging from
 * the full image costs the window's area per crop. From the right octave it costs at most about
 * sixteen source pixels per crop pixel, with nearly the same result.
 */
export class ImageOctaves {
  readonly #octaves: RgbImage[];

  constructor(image: RgbImage) {
    this.#octaves = [image];
  }

  /** Crops `box` (in pixels of the original image) to `size` x `size` RGB, as `cropAndResize` does. */
  crop(box: Box, size: number): Uint8Array {
    const index = this.#build(deepestOctave(Math.max(box.w, box.h) / size));
    // Each octave pixel is a 2x2 block of the previous octave, so coordinates halve exactly.
    const scale = 2 ** -index;
    const octave = this.#octaves[index] as RgbImage;
    return cropAndResize(octave, { x: box.x * scale, y: box.y * scale, w: box.w * scale, h: box.h * scale }, size);
  }

  /**
   * Returns the deepest octave that is still at least twice `width` x `height`, or the image itself,
   * as the source for resampling the whole image to that size, by the rule that `crop` follows.
   * Each output pixel then reads a few source pixels.
   */
  sourceFor(width: number, height: number): { image: RgbImage; scale: number } {
    const image = this.#octaves[0] as RgbImage;
    const index = this.#build(deepestOctave(Math.min(image.width / width, image.height / height)));
    return { image: this.#octaves[index] as RgbImage, scale: 2 ** -index };
  }

  /** Builds the octaves up to `index` and returns the deepest one available, at most `index`. */
  #build(index: number): number {
    while (this.#octaves.length <= index) {
      const previous = this.#octaves.at(-1) as RgbImage;
      const width = Math.floor(previous.width / 2);
      const height = Math.floor(previous.height / 2);
      if (width < 1 || height < 1) {
        break;
      }
      this.#octaves.push({ data: halve(previous, width, height), width, height, channels: 3 });
    }
    return Math.min(index, this.#octaves.length - 1);
  }
}

/**
 * Returns the index of the deepest octave in which a region `ratio` times the output size is still
 * at least twice that size, so each output pixel still averages several octave pixels and the 2x2
 * block grid shows less in the result.
 */
function deepestOctave(ratio: number): number {
  return ratio >= 4 ? Math.floor(Math.log2(ratio)) - 1 : 0;
}

/**
 * Averages each 2x2 block of an RGB image into one pixel of a `width` x `height` image, rounding
 * halves up, as `resampleBox` does for an exact halving, in integer arithmetic. An odd last row or
 * column of the source is dropped.
 */
function halve(source: RgbImage, width: number, height: number): Uint8Array {
  const output = new Uint8Array(width * height * 3);
  const data = source.data;
  const stride = source.width * 3;
  let to = 0;
  for (let y = 0; y < height; y += 1) {
    let top = 2 * y * stride;
    let bottom = top + stride;
    for (let x = 0; x < width; x += 1) {
      for (let c = 0; c < 3; c += 1) {
        output[to] = (data[top]! + data[top + 3]! + data[bottom]! + data[bottom + 3]! + 2) >> 2;
        to += 1;
        top += 1;
        bottom += 1;
      }
      top += 3;
      bottom += 3;
    }
  }
  return output;
}
