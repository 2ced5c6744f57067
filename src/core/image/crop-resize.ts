import type { Box } from '../types.js';
import type { RgbImage } from './rgb-image.js';

/** Contributions of source pixels to each output pixel along one axis. */
interface AxisTaps {
  /** `start[i]` to `start[i + 1]` index the taps of output pixel i. */
  start: Int32Array;
  index: Int32Array;
  weight: Float32Array;
  /** Smallest and largest source index used, or -1 when no tap falls inside the image. */
  min: number;
  max: number;
}

export interface CropOptions {
  /** Flips the crop left to right. */
  mirror?: boolean;
}

/**
 * Crops `box` out of an image and resizes it to `size` x `size` RGB, row-major HWC.
 *
 * The box may extend past the image: pixels outside the image are black (zero padding), so a
 * face at the border keeps its position inside the crop. Shrinking averages the covered source
 * area (like OpenCV's INTER_AREA); enlarging interpolates bilinearly.
 */
export function cropAndResize(image: RgbImage, box: Box, size: number, options: CropOptions = {}): Uint8Array {
  return resampleBox(image, box, size, size, options);
}

/** Resamples `box` of an image to `width` x `height` RGB pixels; see `cropAndResize` for the rules. */
export function resampleBox(
  image: RgbImage,
  box: Box,
  width: number,
  height: number,
  options: CropOptions = {},
): Uint8Array {
  const output = new Uint8Array(width * height * 3);
  if (!(box.w > 0 && box.h > 0)) {
    return output;
  }

  const xTaps = axisTaps(box.x, box.w, width, image.width);
  const yTaps = axisTaps(box.y, box.h, height, image.height);
  if (xTaps.min < 0 || yTaps.min < 0) {
    return output;
  }

  // Horizontal pass over the source rows that any output row needs.
  const rowCount = yTaps.max - yTaps.min + 1;
  const rowLength = width * 3;
  const rows = new Float32Array(rowCount * rowLength);
  const source = image.data;
  const xStart = xTaps.start;
  const xIndex = xTaps.index;
  const xWeight = xTaps.weight;
  for (let row = 0; row < rowCount; row += 1) {
    const sourceRow = (yTaps.min + row) * image.width * 3;
    let to = row * rowLength;
    for (let ox = 0; ox < width; ox += 1) {
      let r = 0;
      let g = 0;
      let b = 0;
      const end = xStart[ox + 1]!;
      for (let t = xStart[ox]!; t < end; t += 1) {
        const at = sourceRow + xIndex[t]! * 3;
        const w = xWeight[t]!;
        r += w * source[at]!;
        g += w * source[at + 1]!;
        b += w * source[at + 2]!;
      }
      rows[to] = r;
      rows[to + 1] = g;
      rows[to + 2] = b;
      to += 3;
    }
  }

  // Vertical pass into the output, mirrored on request.
  const line = new Float32Array(rowLength);
  for (let oy = 0; oy < height; oy += 1) {
    line.fill(0);
    const end = yTaps.start[oy + 1]!;
    for (let t = yTaps.start[oy]!; t < end; t += 1) {
      const from = (yTaps.index[t]! - yTaps.min) * rowLength;
      const w = yTaps.weight[t]!;
      for (let k = 0; k < rowLength; k += 1) {
        line[k] = line[k]! + w * rows[from + k]!;
      }
    }
    for (let ox = 0; ox < width; ox += 1) {
      const column = options.mirror ? width - 1 - ox : ox;
      const to = (oy * width + column) * 3;
      output[to] = clampByte(line[ox * 3]!);
      output[to + 1] = clampByte(line[ox * 3 + 1]!);
      output[to + 2] = clampByte(line[ox * 3 + 2]!);
    }
  }
  return output;
}

/**
 * Builds the taps of one axis, where the window [origin, origin + extent) maps onto `count` output
 * pixels. Source indices outside [0, limit) are dropped, so the padding is black.
 */
function axisTaps(origin: number, extent: number, count: number, limit: number): AxisTaps {
  const scale = extent / count;
  // An output pixel touches at most ceil(scale) + 1 source pixels when shrinking, 2 when enlarging.
  const capacity = count * (Math.ceil(Math.max(scale, 1)) + 2);
  const start = new Int32Array(count + 1);
  const index = new Int32Array(capacity);
  const weight = new Float32Array(capacity);
  let used = 0;
  let min = -1;
  let max = -1;
  const push = (sourceIndex: number, sourceWeight: number) => {
    index[used] = sourceIndex;
    weight[used] = sourceWeight;
    used += 1;
    min = min < 0 ? sourceIndex : Math.min(min, sourceIndex);
    max = Math.max(max, sourceIndex);
  };

  for (let i = 0; i < count; i += 1) {
    start[i] = used;
    if (scale >= 1) {
      // Area average: each source pixel weighs by its overlap with the output pixel's footprint.
      const from = origin + i * scale;
      const to = from + scale;
      for (let j = Math.max(Math.floor(from), 0); j < Math.min(Math.ceil(to), limit); j += 1) {
        const overlap = Math.min(to, j + 1) - Math.max(from, j);
        if (overlap > 0) {
          push(j, overlap / scale);
        }
      }
    } else {
      // Bilinear: pixel centers sit at integer + 0.5, and samples within half a pixel of the border clamp to it.
      const center = origin + (i + 0.5) * scale - 0.5;
      if (center >= -0.5 && center <= limit - 0.5) {
        const left = Math.floor(center);
        const fraction = center - left;
        push(Math.min(Math.max(left, 0), limit - 1), 1 - fraction);
        push(Math.min(Math.max(left + 1, 0), limit - 1), fraction);
      }
    }
  }
  start[count] = used;
  return { start, index, weight, min, max };
}

function clampByte(value: number): number {
  const rounded = Math.round(value);
  return rounded < 0 ? 0 : Math.min(rounded, 255);
}
