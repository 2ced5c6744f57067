// Builds a sample store of an AFLW-sized set (300,000 crops of 12x12 by default) from real face
// crops and streams it back, printing samples per second both ways and the peak resident memory
// while reading, in stored order and in the shuffled blocks that training reads. Streaming keeps the
// peak far below the store's size on disk.
//
// Usage: node bin/run-ts.mjs bench/samples-store.ts [--samples N] [--size 12|24|48]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Augmenter } from '../src/core/augmenter.js';
import { cropAndResize, decodeRgbFile, listImageFiles, type RgbImage } from '../src/core/image/index.js';
import { Logger } from '../src/core/logger.js';
import { buildSampleStore } from '../src/core/store/index.js';
import { Random } from '../src/core/train/random.js';
import type { AnnotatedImage, Sample } from '../src/core/types.js';

const REPO = path.resolve(import.meta.dirname, '..');
const CROPS = path.join(process.env.CASCADE_DATA_ROOT ?? path.resolve(REPO, '../shared/data'), 'face-crops/orl');

function flag(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
}
const SAMPLES = flag('--samples', 300_000);
const SIZE = flag('--size', 12);

/** Repeats crops of a few real face images, shifted by a pixel each time, until it has yielded `count` samples. */
class RepeatedCrops implements Augmenter {
  readonly name = 'repeated-crops';
  readonly numClasses = 2;
  readonly size = SIZE;
  readonly #images: RgbImage[];

  constructor(images: RgbImage[]) {
    this.#images = images;
  }

  async *samples(_images: AsyncIterable<AnnotatedImage>): AsyncIterable<Sample> {
    for (let index = 0; index < SAMPLES; index += 1) {
      const image = this.#images[index % this.#images.length] as RgbImage;
      const shift = index % 9;
      const box = { x: shift, y: shift + 10, w: 80, h: 80 };
      yield { size: SIZE, label: index % 2, group: `crop:${index % 5000}`, pixels: cropAndResize(image, box, SIZE) };
    }
  }
}

const files = (await listImageFiles(CROPS)).slice(0, 40);
const images = await Promise.all(files.map((file) => decodeRgbFile(file)));
const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cascade-store-bench-'));
const logger = new Logger({ level: 'warn' });
const noSources = [{ name: 'none', images: async function* () {} }];

try {
  const writeStart = performance.now();
  const store = await buildSampleStore({
    sources: noSources,
    augmenters: [new RepeatedCrops(images)],
    cacheDir,
    logger,
    key: { bench: 'samples-store', samples: SAMPLES, size: SIZE },
  });
  const writeSeconds = (performance.now() - writeStart) / 1000;
  const bytes = store.manifest.shards.reduce(
    (sum, shard) => sum + fs.statSync(path.join(store.dir, shard.file)).size,
    0,
  );

  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  // Reads the whole store once; returns samples per second and the sample count.
  const readAll = async (options: { shuffle?: Random }): Promise<{ rate: number; count: number }> => {
    let count = 0;
    const started = performance.now();
    for await (const _sample of store.read(options)) {
      count += 1;
      if (count % 10_000 === 0) {
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
      }
    }
    return { rate: count / ((performance.now() - started) / 1000), count };
  };
  const stored = await readAll({});
  // Training reads the store in shuffled blocks.
  const shuffled = await readAll({ shuffle: new Random(1) });

  const mib = (value: number) => `${(value / 1024 / 1024).toFixed(0)} MiB`;
  console.log(
    `store: ${store.manifest.count} samples of ${SIZE}x${SIZE}, ${store.manifest.shards.length} shards, ${mib(bytes)} on disk`,
  );
  console.log(`write: ${(store.manifest.count / writeSeconds).toFixed(0)} samples/s (cropping included)`);
  console.log(`read:  ${stored.rate.toFixed(0)} samples/s in stored order, ${stored.count} samples`);
  console.log(
    `read:  ${shuffled.rate.toFixed(0)} samples/s in shuffled blocks (as training reads), ${shuffled.count} samples`,
  );
  console.log(`resident memory: ${mib(rssBefore)} before reading, peak ${mib(peakRss)} while reading`);
} finally {
  fs.rmSync(cacheDir, { recursive: true, force: true });
}
