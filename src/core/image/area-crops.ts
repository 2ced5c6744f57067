import type { Box } from '../types.js';
import { type CropOptions, cropAndResize } from './crop-resize.js';
import type { RgbImage } from './rgb-image.js';

// Largest region, in pixels, whose summed-area table is built (8 bytes x 3 channels each, 24 MiB).
// Larger regions fall back to cropping each box on its own.
const MAX_TABLE_PIXELS = 1 << 20;
// Building the table costs about as much as a few separate crops of the same region, so fewer
// boxes than this are cropped one by one.
const MIN_BOXES_FOR_TABLE = 4;

/**
 * Crops several boxes of one image to `size` x `size`, with the same result as calling
 * `cropAndResize` for each (black padding past the image, area averaging when shrinking).
 *
 * When every box shrinks, one summed-area table over the boxes' region serves all crops. Each
 * output pixel is the integral of the image over its footprint, read from the table with
 * bilinear interpolation, which is exact for pixels of constant value. Calibration crops (45
 * shifted windows per face) then cost little more than one crop.
 */
export function cropAndResizeMany(
  image: RgbImage,
  boxes: readonly Box[],
  size: number,
  options: CropOptions = {},
): Uint8Array[] {
  const shrinking = boxes.every((box) => box.w >= size && box.h >= size);
  const region = shrinking && boxes.length >= MIN_BOXES_FOR_TABLE ? tableRegion(image, boxes) : undefined;
  if (!region) {
    return boxes.map((box) => cropAndResize(image, box, size, options));
  }

  const table = summedAreaTable(image, region);
  return boxes.map((box) => cropFromTable(table, region, box, size, options));
}

/** An integer pixel rectangle of the image: `x`, `y` its corner, `w`, `h` its size. */
interface Region {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Returns the part of the image that the boxes cover, or undefined when it is empty or too large for a table. */
function tableRegion(image: RgbImage, boxes: readonly Box[]): Region | undefined {
  let left = Number.POSITIVE_INFINITY;
  let top = Number.POSITIVE_INFINITY;
  let right = Number.NEGATIVE_INFINITY;
  let bottom = Number.NEGATIVE_INFINITY;
  for (const box of boxes) {
    left = Math.min(left, box.x);
    top = Math.min(top, box.y);
    right = Math.max(right, box.x + box.w);
    bottom = Math.max(bottom, box.y + box.h);
  }
  const x = Math.max(Math.floor(left), 0);
  const y = Math.max(Math.floor(top), 0);
  const w = Math.min(Math.ceil(right), image.width) - x;
  const h = Math.min(Math.ceil(bottom), image.height) - y;
  if (!(w > 0 && h > 0) || w * h > MAX_TABLE_PIXELS) {
    return undefined;
  }
  return { x, y, w, h };
}

/**
 * Builds the summed-area table of a region: entry (i, j) of the (w + 1) x (h + 1) grid is the
 * sum of each channel over region pixels left of column i and above row j.
 */
function summedAreaTable(image: RgbImage, region: Region): Float64Array {
  const stride = (region.w + 1) * 3;
  const table = new Float64Array(stride * (region.h + 1));
  const source = image.data;
  for (let row = 0; row < region.h; row += 1) {
    const from = ((region.y + row) * image.width + region.x) * 3;
    const above = row * stride;
    const current = (row + 1) * stride;
    let r = 0;
    let g = 0;
    let b = 0;
    for (let column = 0; column < region.w; column += 1) {
      const at = from + column * 3;
      r += source[at] as number;
      g += source[at + 1] as number;
      b += source[at + 2] as number;
      const to = current + (column + 1) * 3;
      table[to] = (table[above + (column + 1) * 3] as number) + r;
      table[to + 1] = (table[above + (column + 1) * 3 + 1] as number) + g;
      table[to + 2] = (table[above + (column + 1) * 3 + 2] as number) + b;
    }
  }
  return table;
}

/** Grid positions along one axis: integer index into the table and the fraction towards the next. */
function gridAxis(origin: number, extent: number, count: number, regionStart: number, regionSize: number) {
  const index = new Int32Array(count + 1);
  const fraction = new Float64Array(count + 1);
  for (let i = 0; i <= count; i += 1) {
    // Positions outside the region clamp to its border, because pixels past the image are zero.
    const position = Math.min(Math.max(origin + (i * extent) / count - regionStart, 0), regionSize);
    const whole = Math.min(Math.floor(position), regionSize - 1);
    index[i] = whole;
    fraction[i] = position - whole;
  }
  return { index, fraction };
}

function cropFromTable(table: Float64Array, region: Region, box: Box, size: number, options: CropOptions): Uint8Array {
  const stride = (region.w + 1) * 3;
  const xs = gridAxis(box.x, box.w, size, region.x, region.w);
  const ys = gridAxis(box.y, box.h, size, region.y, region.h);

  // The integral at every grid corner, interpolated bilinearly from the table.
  const corners = new Float64Array((size + 1) * (size + 1) * 3);
  for (let j = 0; j <= size; j += 1) {
    const row = (ys.index[j] as number) * stride;
    const fy = ys.fraction[j] as number;
    for (let i = 0; i <= size; i += 1) {
      const column = (xs.index[i] as number) * 3;
      const fx = xs.fraction[i] as number;
      const w00 = (1 - fx) * (1 - fy);
      const w10 = fx * (1 - fy);
      const w01 = (1 - fx) * fy;
      const w11 = fx * fy;
      const at = row + column;
      const below = at + stride;
      const to = (j * (size + 1) + i) * 3;
      corners[to] = w00 * table[at]! + w10 * table[at + 3]! + w01 * table[below]! + w11 * table[below + 3]!;
      corners[to + 1] = w00 * table[at + 1]! + w10 * table[at + 4]! + w01 * table[below + 1]! + w11 * table[below + 4]!;
      corners[to + 2] = w00 * table[at + 2]! + w10 * table[at + 5]! + w01 * table[below + 2]! + w11 * table[below + 5]!;
    }
  }

  const output = new Uint8Array(size * size * 3);
  const area = (box.w / size) * (box.h / size);
  const cornerStride = (size + 1) * 3;
  for (let oy = 0; oy < size; oy += 1) {
    for (let ox = 0; ox < size; ox += 1) {
      const topLeft = oy * cornerStride + ox * 3;
      const column = options.mirror ? size - 1 - ox : ox;
      const to = (oy * size + column) * 3;
      for (let channel = 0; channel < 3; channel += 1) {
        const sum =
          (corners[topLeft + cornerStride + 3 + channel] as number) -
          (corners[topLeft + cornerStride + channel] as number) -
          (corners[topLeft + 3 + channel] as number) +
          (corners[topLeft + channel] as number);
        const value = Math.round(sum / area);
        output[to + channel] = Math.min(Math.max(value, 0), 255);
      }
    }
  }
  return output;
}
