// Detection speed of the CNN cascade against OpenCV's Haar frontal-face cascade, in one run, on the
// same 640x480 images at minimum face sizes 80 and 40. Prints images per second of both and the ratio.
//
//   node --import tsx bench/detect.ts [--model runs/cascade/latest] [--repeats 5] [--python PATH]
//     [--threshold12 p] [--threshold24 p] [--threshold48 p]   (default: the thresholds saved with the cascade)
//
// The Haar peer runs bench/detect-haar.py with --python, $CASCADE_BENCH_PYTHON or the venv
// ~/.cache/cascade/cv-venv, created from PyPI with opencv-python-headless 4.x when missing.
// Both sides time detection only: images are decoded (and converted to grey for Haar) beforehand.
// NOTE: both libraries use their default thread pools, so the figures are for the whole machine, not one core.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { selectBackend } from '../src/core/backend.js';
import { CascadeDetector } from '../src/core/detect/cascade-detector.js';
import { loadCascade } from '../src/core/detect/load-cascade.js';
import { decodeRgbFile } from '../src/core/image/index.js';
import { Logger } from '../src/core/logger.js';
import { opencvPython } from './opencv-python.js';

const WIDTH = 640;
const HEIGHT = 480;
const MIN_FACE_SIZES = [80, 40];
// Photographs with faces, resized to VGA: FDDB images of the evaluation folds and the two demo photos.
const SOURCE_IMAGES = [
  'fddb/originalPics/2002/07/19/big/img_135.jpg',
  'unannotated/bald_guys.jpg',
  'unannotated/Tom_Cruise_avp_2014_4.jpg',
  'dlib-imglab/2008_002079.jpg',
];

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'runs/cascade/latest' },
    repeats: { type: 'string', default: '5' },
    python: { type: 'string' },
    threshold12: { type: 'string' },
    threshold24: { type: 'string' },
    threshold48: { type: 'string' },
  },
});
const repeats = Number(values.repeats);
const dataRoot = process.env.CASCADE_DATA_ROOT ?? path.resolve(import.meta.dirname, '../../shared/data');

async function prepareImages(directory: string): Promise<string[]> {
  const files: string[] = [];
  for (const [index, source] of SOURCE_IMAGES.entries()) {
    const file = path.join(directory, `vga-${index}.png`);
    await sharp(path.join(dataRoot, source)).resize(WIDTH, HEIGHT, { fit: 'cover' }).png().toFile(file);
    files.push(file);
  }
  return files;
}

function runHaar(minFace: number, files: string[]): { imagesPerSecond: number; opencv: string; threads: number } {
  const script = path.join(import.meta.dirname, 'detect-haar.py');
  const result = spawnSync(
    values.python ?? opencvPython(),
    [script, 'bench', String(minFace), String(repeats), ...files],
    {
      encoding: 'utf8',
    },
  );
  if (result.status !== 0) {
    throw new Error(
      `The Haar peer failed (${values.python ?? opencvPython()} ${script}): ${result.stderr || result.error?.message}. ` +
        'It needs opencv-python-headless 4.x and numpy: pass --python, or delete ~/.cache/cascade/cv-venv to recreate it.',
    );
  }
  return JSON.parse(result.stdout.trim().split('\n').at(-1) as string);
}

function formatThresholds(thresholds: Record<string, number | undefined>): string {
  return Object.entries(thresholds)
    .map(([stage, value]) => `${stage} ${value === undefined ? 'default' : value.toPrecision(2)}`)
    .join(', ');
}

async function main(): Promise<void> {
  await selectBackend('tensorflow', new Logger({ level: 'warn' }));
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'cascade-bench-'));
  try {
    const files = await prepareImages(directory);
    const images = await Promise.all(files.map((file) => decodeRgbFile(file)));
    const cascade = await loadCascade([values.model as string]);
    console.log(
      `CNN cascade from ${values.model}; ${images.length} images of ${WIDTH}x${HEIGHT}, ${repeats} repeats; ${os.cpus().length} CPU cores`,
    );
    try {
      for (const minFaceSize of MIN_FACE_SIZES) {
        const thresholds = { ...cascade.detector.thresholds };
        for (const stage of ['net12', 'net24', 'net48'] as const) {
          const value = values[`threshold${stage.slice(3)}` as 'threshold12' | 'threshold24' | 'threshold48'];
          if (value !== undefined) {
            thresholds[stage] = Number(value);
          }
        }
        const detector = new CascadeDetector(cascade.nets, { ...cascade.detector, thresholds, minFaceSize });
        detector.detect([images[0]!]); // warm-up: kernel selection and allocation
        let faces = 0;
        const started = process.hrtime.bigint();
        for (let repeat = 0; repeat < repeats; repeat += 1) {
          for (const image of images) {
            faces += detector.detect([image])[0]?.boxes.length ?? 0;
          }
        }
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        detector.dispose();
        const cnn = (repeats * images.length) / seconds;
        const haar = runHaar(minFaceSize, files);
        console.log(
          `min face ${minFaceSize}, thresholds ${formatThresholds(thresholds)}: CNN cascade ${cnn.toFixed(1)} images/s (${(faces / (repeats * images.length)).toFixed(1)} faces/image), ` +
            `OpenCV ${haar.opencv} Haar ${haar.imagesPerSecond.toFixed(1)} images/s (${haar.threads} threads); ` +
            `ratio CNN/Haar ${(cnn / haar.imagesPerSecond).toFixed(2)}`,
        );
      }
    } finally {
      cascade.dispose();
    }
  } finally {
    await fs.rm(directory, { recursive: true, force: true });
  }
}

await main();
