import { cropAndResize, type RgbImage, resampleBox } from '../image/index.js';
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
    const side = Math.max(box.w, box.h);
    // The window keeps at least twice the crop size in its octave, so each crop pixel still averages
    // several octave pixels and the 2x2 block grid shows less in the result.
    const wanted = side >= 4 * size ? Math.floor(Math.log2(side / size)) - 1 : 0;
    const index = this.#build(wanted);
    // Each octave pixel is a 2x2 block of the previous octave, so coordinates halve exactly.
    const scale = 2 ** -index;
    const octave = this.#octaves[index] as RgbImage;
    return cropAndResize(octave, { x: box.x * scale, y: box.y * scale, w: box.w * scale, h: box.h * scale }, size);
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
      // An odd last row or column of the previous octave is dropped.
      const data = resampleBox(previous, { x: 0, y: 0, w: width * 2, h: height * 2 }, width, height);
      this.#octaves.push({ data, width, height, channels: 3 });
    }
    return Math.min(index, this.#octaves.length - 1);
  }
}
