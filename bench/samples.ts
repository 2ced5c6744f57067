// Measures samples per second of positive and calibration crops at 12, 24 and 48 pixels, built by
// cascade's augmenters from the FDDB images in ../shared/data. A Python peer (bench/samples_peer.py)
// makes the same crops with OpenCV and NumPy in the same run, and the script prints the ratio.
//
// Usage: node bin/run-ts.mjs bench/samples.ts [--repeats N]
// The peer needs opencv-python-headless and numpy. The script uses the Python of
// $CASCADE_BENCH_PYTHON, or else of the venv ~/.cache/cascade/cv-venv, which it creates and fills
// from PyPI with pip when it is missing (bench/opencv-python.ts).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Augmenter } from '../src/core/augmenter.js';
import { CALIBRATION_PATTERNS } from '../src/core/geometry.js';
import { Logger } from '../src/core/logger.js';
import type { AnnotatedImage } from '../src/core/types.js';
import { CalibrationShifter } from '../src/plugins/augmenters/calibration.js';
import { PositiveCropper } from '../src/plugins/augmenters/positives.js';
import { FddbSource } from '../src/plugins/sources/fddb.js';
import { opencvPython } from './opencv-python.js';

const REPO = path.resolve(import.meta.dirname, '..');
const SHARED_DATA = process.env.CASCADE_DATA_ROOT ?? path.resolve(REPO, '../shared/data');
const SIZES = [12, 24, 48] as const;
const repeatsFlag = process.argv.indexOf('--repeats');
const REPEATS = repeatsFlag > 0 ? Number(process.argv[repeatsFlag + 1]) : 3;

const logger = new Logger({ level: 'warn' });

function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed with exit code ${result.status}`);
  }
  return result.stdout;
}

async function loadImages(): Promise<AnnotatedImage[]> {
  const source = new FddbSource({
    name: 'fddb',
    root: path.join(SHARED_DATA, 'fddb'),
    foldsDir: 'FDDB-folds',
    imagesDir: 'originalPics',
    logger,
  });
  const images: AnnotatedImage[] = [];
  for await (const image of source.images()) {
    images.push(image);
  }
  return images;
}

async function* replay(images: AnnotatedImage[]): AsyncIterable<AnnotatedImage> {
  yield* images;
}

/** Samples per second of one pass; the pass decodes every image again. */
async function measure(augmenter: Augmenter, images: AnnotatedImage[]): Promise<{ count: number; rate: number }> {
  const started = performance.now();
  let count = 0;
  for await (const _sample of augmenter.samples(replay(images))) {
    count += 1;
  }
  return { count, rate: count / ((performance.now() - started) / 1000) };
}

function augmenterFor(task: string, size: 12 | 24 | 48): Augmenter {
  return task === 'positives'
    ? new PositiveCropper({ size, mirror: false, minFaceSize: 0 }, logger)
    : new CalibrationShifter({ size, minFaceSize: 0 }, logger);
}

const images = await loadImages();
const job = {
  images: images.map((image) => ({
    path: image.path,
    boxes: image.faces.map(({ box }) => [box.x, box.y, box.w, box.h]),
  })),
  patterns: CALIBRATION_PATTERNS.map((pattern) => [pattern.scale, pattern.offsetX, pattern.offsetY]),
  sizes: SIZES,
  // The peer runs one pass per call; this script alternates the rounds.
  repeats: 1,
};
const jobFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cascade-bench-')), 'job.json');
fs.writeFileSync(jobFile, JSON.stringify(job));

// Each round runs every task once in cascade and once in the peer, back to back, so that load
// from other processes on the machine affects both sides alike. The best round of each counts.
const python = opencvPython();
const peerScript = path.join(REPO, 'bench/samples_peer.py');
const ours: Record<string, { count: number; rate: number }> = {};
const theirs: Record<string, { count: number; rate: number }> = {};
let versions = { opencv: '?', numpy: '?' };
for (let round = 0; round < REPEATS; round += 1) {
  for (const size of SIZES) {
    for (const kind of ['positives', 'calibration']) {
      const task = `${kind}-${size}`;
      const mine = await measure(augmenterFor(kind, size), images);
      const peer = JSON.parse(run(python, [peerScript, jobFile, task])) as Record<string, unknown> & {
        versions: typeof versions;
      };
      const other = peer[task] as { count: number; samplesPerSecond: number };
      versions = peer.versions;
      if (mine.rate > (ours[task]?.rate ?? 0)) {
        ours[task] = mine;
      }
      if (other.samplesPerSecond > (theirs[task]?.rate ?? 0)) {
        theirs[task] = { count: other.count, rate: other.samplesPerSecond };
      }
    }
  }
}
fs.rmSync(path.dirname(jobFile), { recursive: true, force: true });

const faces = job.images.reduce((sum, image) => sum + image.boxes.length, 0);
console.log(
  `FDDB folds 1-5: ${images.length} images, ${faces} faces; best of ${REPEATS} alternating rounds, decoding included`,
);
console.log(`peer: OpenCV ${versions.opencv}, NumPy ${versions.numpy}, one thread; cascade: sharp, one process`);
console.log('task            samples  cascade/s  opencv/s  ratio');
for (const [task, result] of Object.entries(ours)) {
  const other = theirs[task] as { count: number; rate: number };
  const ratio = result.rate / other.rate;
  console.log(
    `${task.padEnd(15)} ${String(result.count).padStart(7)} ${result.rate.toFixed(0).padStart(10)} ${other.rate.toFixed(0).padStart(9)}  ${ratio.toFixed(2)}`,
  );
}
