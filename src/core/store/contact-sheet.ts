import sharp from 'sharp';
import { resampleBox } from '../image/index.js';
import type { Sample } from '../types.js';
import type { SampleStore } from './sample-store.js';

// Each sample is enlarged to this many pixels so that 12x12 crops are visible.
const CELL_PIXELS = 64;
// Height of the strip under each sample where its label is drawn.
const LABEL_STRIP_PIXELS = 14;
const GAP_PIXELS = 2;
// Digit glyphs on a 3x5 grid, one string of 15 bits per digit, drawn at DIGIT_SCALE.
const DIGIT_GLYPHS = [
  '111101101101111',
  '010110010010111',
  '111001111100111',
  '111001111001111',
  '101101111001001',
  '111100111001111',
  '111100111101111',
  '111001001001001',
  '111101111101111',
  '111101111001111',
];
const DIGIT_SCALE = 2;

export interface ContactSheetOptions {
  /** Number of samples drawn at random from the store. */
  count: number;
  columns: number;
  seed: number;
}

/** Picks `count` samples uniformly at random from the store's stream (reservoir sampling, seeded). */
export async function pickRandomSamples(store: SampleStore, count: number, seed: number): Promise<Sample[]> {
  const random = mulberry32(seed);
  const picked: Sample[] = [];
  let seen = 0;
  for await (const sample of store.read()) {
    seen += 1;
    if (picked.length < count) {
      picked.push(sample);
      continue;
    }
    const slot = Math.floor(random() * seen);
    if (slot < count) {
      picked[slot] = sample;
    }
  }
  return picked;
}

/** Renders random samples of a store into a PNG grid, each with its label written under it. */
export async function writeContactSheet(
  store: SampleStore,
  file: string,
  options: ContactSheetOptions,
): Promise<number> {
  const samples = await pickRandomSamples(store, options.count, options.seed);
  const columns = Math.max(1, Math.min(options.columns, samples.length));
  const rows = Math.ceil(samples.length / columns);
  const cellHeight = CELL_PIXELS + LABEL_STRIP_PIXELS;
  const width = columns * (CELL_PIXELS + GAP_PIXELS) + GAP_PIXELS;
  const height = rows * (cellHeight + GAP_PIXELS) + GAP_PIXELS;
  const canvas = new Uint8Array(width * height * 3).fill(40);

  for (const [index, sample] of samples.entries()) {
    const left = GAP_PIXELS + (index % columns) * (CELL_PIXELS + GAP_PIXELS);
    const top = GAP_PIXELS + Math.floor(index / columns) * (cellHeight + GAP_PIXELS);
    const source = { data: sample.pixels, width: sample.size, height: sample.size, channels: 3 as const };
    const enlarged = resampleBox(source, { x: 0, y: 0, w: sample.size, h: sample.size }, CELL_PIXELS, CELL_PIXELS);
    for (let y = 0; y < CELL_PIXELS; y += 1) {
      canvas.set(enlarged.subarray(y * CELL_PIXELS * 3, (y + 1) * CELL_PIXELS * 3), ((top + y) * width + left) * 3);
    }
    drawNumber(canvas, width, String(sample.label), left + 2, top + CELL_PIXELS + 2);
  }

  await sharp(canvas, { raw: { width, height, channels: 3 } })
    .png()
    .toFile(file);
  return samples.length;
}

function drawNumber(canvas: Uint8Array, width: number, text: string, left: number, top: number): void {
  for (const [position, character] of [...text].entries()) {
    const glyph = DIGIT_GLYPHS[Number(character)] ?? '';
    const glyphLeft = left + position * 4 * DIGIT_SCALE;
    for (let bit = 0; bit < glyph.length; bit += 1) {
      if (glyph[bit] !== '1') {
        continue;
      }
      const column = bit % 3;
      const row = Math.floor(bit / 3);
      for (let dy = 0; dy < DIGIT_SCALE; dy += 1) {
        for (let dx = 0; dx < DIGIT_SCALE; dx += 1) {
          const at = ((top + row * DIGIT_SCALE + dy) * width + glyphLeft + column * DIGIT_SCALE + dx) * 3;
          canvas[at] = 255;
          canvas[at + 1] = 230;
          canvas[at + 2] = 0;
        }
      }
    }
  }
}

function mulberry32(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
