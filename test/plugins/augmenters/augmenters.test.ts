import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { CALIBRATION_PATTERNS, iou, squareAround } from '../../../src/core/geometry.js';
import { cropAndResize, decodeRgbFile } from '../../../src/core/image/index.js';
import { Logger } from '../../../src/core/logger.js';
import type { AnnotatedImage, Sample } from '../../../src/core/types.js';
import { CalibrationShifter } from '../../../src/plugins/augmenters/calibration.js';
import { seededRandom } from '../../../src/plugins/augmenters/common.js';
import { NegativeSampler } from '../../../src/plugins/augmenters/negatives.js';
import { PositiveCropper } from '../../../src/plugins/augmenters/positives.js';
import { FddbSource } from '../../../src/plugins/sources/fddb.js';
import { WiderFaceSource } from '../../../src/plugins/sources/wider-face.js';
import { SHARED_DATA } from '../sources/helpers.js';

const logger = new Logger({ level: 'silent' });
const NEGATIVE_DEFAULTS = { size: 12 as const, windowsPerImage: 20, maxIou: 0.3, useFaceImages: true };

async function* only(images: AnnotatedImage[]): AsyncIterable<AnnotatedImage> {
  yield* images;
}

async function readAll(samples: AsyncIterable<Sample>): Promise<Sample[]> {
  const list: Sample[] = [];
  for await (const sample of samples) {
    list.push(sample);
  }
  return list;
}

/** Builds a 200x200 black image with a white 40x40 square "face" at (80, 80). */
function squareFaceImage(): AnnotatedImage {
  const data = new Uint8Array(200 * 200 * 3);
  for (let y = 80; y < 120; y += 1) {
    data.fill(255, (y * 200 + 80) * 3, (y * 200 + 120) * 3);
  }
  return {
    id: 'square',
    source: 'synthetic',
    path: '/nonexistent/square.png',
    width: 200,
    height: 200,
    faces: [{ box: { x: 80, y: 80, w: 40, h: 40 }, attributes: {} }],
    pixels: { data, width: 200, height: 200, channels: 3 },
  };
}

function fddbFold1() {
  return new FddbSource({
    name: 'fddb',
    root: path.join(SHARED_DATA, 'fddb'),
    folds: [1],
    foldsDir: 'FDDB-folds',
    imagesDir: 'originalPics',
    logger,
  });
}

describe('PositiveCropper', () => {
  test('crops every usable WIDER face', async () => {
    const source = new WiderFaceSource({
      name: 'wider',
      root: path.join(SHARED_DATA, 'wider-face-val'),
      imagesDir: 'images',
      skipHeavyBlur: true,
      skipExtremeIllumination: true,
      skipHeavyOcclusion: true,
      minFaceSize: 0,
      logger,
    });
    let kept = 0;
    for await (const image of source.images()) {
      kept += image.faces.filter((face) => !face.ignore).length;
    }
    const samples = await readAll(
      new PositiveCropper({ size: 24, mirror: false, minFaceSize: 0 }, logger).samples(source.images()),
    );
    assert.equal(samples.length, kept);
    assert.ok(samples.every((sample) => sample.label === 1 && sample.size === 24));
  });

  test('mirror doubles the crops', async () => {
    const plain = await readAll(
      new PositiveCropper({ size: 12, mirror: false, minFaceSize: 0 }, logger).samples(fddbFold1().images()),
    );
    const mirrored = await readAll(
      new PositiveCropper({ size: 12, mirror: true, minFaceSize: 0 }, logger).samples(fddbFold1().images()),
    );
    assert.equal(plain.length, 31);
    assert.equal(mirrored.length, 62);
    const images = [];
    for await (const image of fddbFold1().images()) {
      images.push(image);
    }
    const first = images[0] as AnnotatedImage;
    const rgb = await decodeRgbFile(first.path);
    const square = squareAround((first.faces[0] as AnnotatedImage['faces'][number]).box);
    assert.deepEqual(mirrored[0]?.pixels, cropAndResize(rgb, square, 12));
    assert.deepEqual(mirrored[1]?.pixels, cropAndResize(rgb, square, 12, { mirror: true }));
  });

  test('crops the square around the face', async () => {
    const image = squareFaceImage();
    const [sample] = await readAll(
      new PositiveCropper({ size: 12, mirror: false, minFaceSize: 0 }, logger).samples(only([image])),
    );
    assert.ok(sample?.pixels.every((value) => value === 255));
  });
});

describe('CalibrationShifter', () => {
  test('yields all 45 labels per face', async () => {
    const samples = await readAll(
      new CalibrationShifter({ size: 24, minFaceSize: 0 }, logger).samples(fddbFold1().images()),
    );
    assert.equal(samples.length, 31 * 45);
    const labels = new Set(samples.map((sample) => sample.label));
    assert.equal(labels.size, 45);
    assert.equal(Math.min(...labels), 0);
    assert.equal(Math.max(...labels), 44);
  });

  test('shifts each crop by the inverse of its pattern', async () => {
    const image = squareFaceImage();
    const samples = await readAll(new CalibrationShifter({ size: 24, minFaceSize: 0 }, logger).samples(only([image])));
    const identity = CALIBRATION_PATTERNS.findIndex((p) => p.scale === 1 && p.offsetX === 0 && p.offsetY === 0);
    const right = CALIBRATION_PATTERNS.findIndex((p) => p.scale === 1 && p.offsetX === 0.17 && p.offsetY === 0);
    const larger = CALIBRATION_PATTERNS.findIndex((p) => p.scale === 1.21 && p.offsetX === 0 && p.offsetY === 0);
    const at = (label: number, x: number, y: number) => samples[label]?.pixels[(y * 24 + x) * 3];

    assert.equal(at(identity, 0, 12), 255);
    assert.equal(at(identity, 23, 12), 255);
    // The window moved right by 0.17 of the face, so the face's right edge leaves the crop's right side dark.
    assert.equal(at(right, 0, 12), 255);
    assert.equal(at(right, 23, 12), 0);
    // Calibration scales keep the top-left corner, so a window 1.21 times the face is dark on the right and bottom.
    assert.equal(at(larger, 0, 0), 255);
    assert.equal(at(larger, 23, 12), 0);
    assert.equal(at(larger, 12, 23), 0);
  });
});

describe('NegativeSampler', () => {
  test('windows overlap no face by 0.3 IoU', async () => {
    const sampler = new NegativeSampler(NEGATIVE_DEFAULTS, 42, logger);
    let checked = 0;
    for await (const image of fddbFold1().images()) {
      const windows = sampler.drawWindows(image, image.width, image.height, seededRandom(42, image.id));
      for (const window of windows) {
        assert.ok(window.x >= 0);
        assert.ok(window.y >= 0);
        assert.ok(window.x + window.w <= image.width);
        assert.ok(window.y + window.h <= image.height);
        assert.ok(window.w >= 12);
        for (const face of image.faces) {
          assert.ok(iou(window, face.box) < 0.3);
        }
        checked += 1;
      }
    }
    assert.ok(checked > 18 * 10);
  });

  test('draws the same windows for the same seed', async () => {
    const image = squareFaceImage();
    const first = await readAll(new NegativeSampler(NEGATIVE_DEFAULTS, 5, logger).samples(only([image])));
    const again = await readAll(new NegativeSampler(NEGATIVE_DEFAULTS, 5, logger).samples(only([image])));
    const other = await readAll(new NegativeSampler(NEGATIVE_DEFAULTS, 6, logger).samples(only([image])));
    assert.equal(first.length, 20);
    assert.deepEqual(first, again);
    assert.notDeepEqual(first, other);
    assert.ok(first.every((sample) => sample.label === 0));
  });

  test('never samples face crops', async () => {
    const image = { ...squareFaceImage(), crop: true };
    const samples = await readAll(new NegativeSampler(NEGATIVE_DEFAULTS, 5, logger).samples(only([image])));
    assert.equal(samples.length, 0);
  });

  test('crops match cropAndResize of the window', async () => {
    const image = squareFaceImage();
    const sampler = new NegativeSampler({ ...NEGATIVE_DEFAULTS, windowsPerImage: 3 }, 9, logger);
    const samples = await readAll(sampler.samples(only([image])));
    const windows = sampler.drawWindows(image, 200, 200, seededRandom(9, 'synthetic:square'));
    const pixels = image.pixels as NonNullable<AnnotatedImage['pixels']>;
    assert.deepEqual(samples[1]?.pixels, cropAndResize(pixels, windows[1] as NonNullable<(typeof windows)[1]>, 12));
  });
});
