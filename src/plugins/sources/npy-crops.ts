import { z } from 'zod';
import type { DataSource } from '../../core/data-source.js';
import { CascadeError } from '../../core/errors.js';
import { definePlugin } from '../../core/registry.js';
import { resolveDataPath } from '../../core/runtime.js';
import type { AnnotatedImage } from '../../core/types.js';
import { requirePath, sourceBaseOptions } from './common.js';
import { type NpyArray, readNpy } from './npy.js';

export const npyCropsOptions = sourceBaseOptions
  .extend({
    /** True when the crops are faces; false when they are face-free. */
    faces: z.boolean(),
    /** First crop index to read (inclusive). */
    start: z.number().int().nonnegative().default(0),
    /** Crop index to stop at (exclusive); defaults to the number of crops. */
    end: z.number().int().positive().optional(),
  })
  .strict();

declare module '../../core/config/plugin-types.js' {
  interface SourceTypes {
    'npy-crops': z.input<typeof npyCropsOptions>;
  }
}

/**
 * Crops stored in one `.npy` array of shape (N, H, W) grey or (N, H, W, 3) RGB, such as
 * scikit-image's `lfw_subset.npy`. Float arrays whose maximum is at most 1 are scaled by 255;
 * other values are rounded and clamped to 0..255.
 */
export class NpyCropsSource implements DataSource {
  readonly name: string;
  readonly #file: string;
  readonly #faces: boolean;
  readonly #start: number;
  readonly #end: number | undefined;

  constructor(options: { name: string; file: string; faces: boolean; start: number; end?: number }) {
    this.name = options.name;
    this.#file = options.file;
    this.#faces = options.faces;
    this.#start = options.start;
    this.#end = options.end;
  }

  async *images(): AsyncIterable<AnnotatedImage> {
    await requirePath(this.#file, 'file', `NumPy file of source "${this.name}"`);
    const array = await readNpy(this.#file);
    const { count, height, width, channels } = cropShape(array, this.#file);
    const end = Math.min(this.#end ?? count, count);
    if (this.#start >= end) {
      throw new CascadeError(
        `Source "${this.name}" selects no crop: start ${this.#start}, end ${this.#end ?? count}, but ${this.#file} contains ${count} crops. Set start and end inside that range.`,
      );
    }

    const scale = array.dtype.startsWith('f') && maxOf(array.data) <= 1 ? 255 : 1;
    const pixelsPerCrop = height * width;
    for (let index = this.#start; index < end; index += 1) {
      const data = new Uint8Array(pixelsPerCrop * 3);
      const base = index * pixelsPerCrop * channels;
      for (let pixel = 0; pixel < pixelsPerCrop; pixel += 1) {
        for (let channel = 0; channel < 3; channel += 1) {
          const value = array.data[base + pixel * channels + (channels === 3 ? channel : 0)] as number;
          data[pixel * 3 + channel] = Math.min(255, Math.max(0, Math.round(value * scale)));
        }
      }
      const image: AnnotatedImage = {
        id: String(index),
        source: this.name,
        path: this.#file,
        width,
        height,
        faces: [],
        pixels: { data, width, height, channels: 3 },
      };
      if (this.#faces) {
        image.crop = true;
        image.faces = [{ box: { x: 0, y: 0, w: width, h: height }, attributes: {} }];
      } else {
        image.faceFree = true;
      }
      yield image;
    }
  }
}

function cropShape(array: NpyArray, file: string): { count: number; height: number; width: number; channels: number } {
  const [count, height, width, channels = 1] = array.shape;
  const validRank = array.shape.length === 3 || (array.shape.length === 4 && channels === 3);
  if (!validRank || !count || !height || !width) {
    throw new CascadeError(
      `NumPy file ${file} has shape (${array.shape.join(', ')}); expected (N, H, W) grey or (N, H, W, 3) RGB crops.`,
    );
  }
  return { count, height, width, channels };
}

function maxOf(values: Float64Array): number {
  let max = Number.NEGATIVE_INFINITY;
  for (const value of values) {
    max = Math.max(value, max);
  }
  return max;
}

export const npyCropsSource = definePlugin({
  kind: 'source',
  type: 'npy-crops',
  description: 'Face or face-free crops from a NumPy .npy array (N, H, W) or (N, H, W, 3).',
  options: npyCropsOptions,
  create: (options, context) =>
    new NpyCropsSource({
      name: options.name ?? 'npy-crops',
      file: resolveDataPath(context.runtime, options.root),
      faces: options.faces,
      start: options.start,
      end: options.end,
    }),
});
