import * as tf from '@tensorflow/tfjs';
import { CascadeError } from '../errors.js';
import { applyCalibration, averagePatterns, CALIBRATION_PATTERNS, type ScoredBox } from '../geometry.js';
import { type RgbImage, resampleBox } from '../image/index.js';
import { readTensor } from '../read-tensor.js';
import { createNativePredictor } from '../train/native-net.js';
import { LABEL_FACE } from '../types.js';
import { type DetectorOptions, detectorOptionsSchema, type ResolvedDetectorOptions } from './detector-options.js';
import { type FullyConvolutionalNet, toFullyConvolutional } from './fully-convolutional.js';
import { ImageOctaves } from './octaves.js';
import { pyramidLevels } from './pyramid.js';

/** The six nets of the cascade. Only the 12-net is required: missing later stages are skipped. */
export interface CascadeNets {
  net12: tf.LayersModel;
  calib12?: tf.LayersModel;
  net24?: tf.LayersModel;
  calib24?: tf.LayersModel;
  net48?: tf.LayersModel;
  calib48?: tf.LayersModel;
}

const BYTE_TO_UNIT = 1 / 255;

/** The three detection stages, each a detection net followed by its calibration net and NMS. */
export const DETECTION_STAGES = ['net12', 'net24', 'net48'] as const;
export type DetectionStage = (typeof DETECTION_STAGES)[number];

/** Windows left after one stage of one image. */
export interface StageWindows {
  stage: DetectionStage;
  count: number;
  /** The windows themselves, when `recordStages` is set. */
  boxes?: ScoredBox[];
}

/** Faces found in one image, highest score first, with the windows left after each stage that ran. */
export interface Detection {
  boxes: ScoredBox[];
  stages: StageWindows[];
}

export interface DetectCallOptions {
  /** Keeps the boxes after each stage, for per-stage recall. */
  recordStages?: boolean;
  /** Runs the stages up to and including this one (hard-negative mining stops early). */
  lastStage?: DetectionStage;
}

/** A window of one image of the current batch. */
interface Window {
  image: number;
  box: ScoredBox;
  /**
   * The window's crop in [0, 1], kept from the stage's detection net for its calibration net, which
   * reads the same box. Cropping took about a third of the 24- and 48-stages' time.
   */
  crop?: Float32Array;
}

/**
 * The CNN cascade of Li et al. (CVPR 2015): an image pyramid scanned by the fully convolutional
 * 12-net, 12-calib, NMS, 24-net, 24-calib, NMS, 48-net, NMS across the whole image, 48-calib.
 * Windows of all images in one call go through each net together in batches.
 */
export class CascadeDetector {
  readonly options: ResolvedDetectorOptions;
  readonly #nets: CascadeNets;
  readonly #scanner: FullyConvolutionalNet;
  /** The 12-calib net scanning the same positions as the 12-net, when its layers allow it. */
  readonly #calibrationScanner: FullyConvolutionalNet | undefined;
  /** Functions from crops to probabilities per net: native TensorFlow ops where possible, else `predict`. */
  readonly #predictors = new Map<tf.LayersModel, (x: tf.Tensor) => tf.Tensor>();

  constructor(nets: CascadeNets, options: DetectorOptions = {}) {
    this.options = detectorOptionsSchema.parse(options);
    this.#nets = nets;
    this.#scanner = toFullyConvolutional(nets.net12);
    if (this.options.stride % this.#scanner.stride !== 0) {
      this.#scanner.dispose();
      throw new CascadeError(
        `Detector stride ${this.options.stride} is not a multiple of the 12-net's natural stride of ` +
          `${this.#scanner.stride} pixels; use ${this.#scanner.stride}, ${2 * this.#scanner.stride}, ...`,
      );
    }
    this.#calibrationScanner = nets.calib12 ? scannerMatching(nets.calib12, this.#scanner) : undefined;
  }

  /** Detects faces in each image; the result at index i belongs to `images[i]`. */
  detect(images: readonly RgbImage[], call: DetectCallOptions = {}): Detection[] {
    const results: Detection[] = images.map(() => ({ boxes: [], stages: [] }));
    const last = DETECTION_STAGES.indexOf(call.lastStage ?? 'net48');
    const { thresholds, nms: nmsThresholds } = this.options;

    const octaves = images.map((image) => new ImageOctaves(image));
    let windows = images.flatMap((image, index) => this.#scan(image, index, octaves[index] as ImageOctaves));
    if (!this.#calibrationScanner) {
      windows = this.#calibrate(octaves, windows, this.#nets.calib12);
    }
    windows = nmsPerImage(windows, images.length, nmsThresholds.net12);
    this.#record(results, windows, 'net12', call);

    const later: Array<[DetectionStage, tf.LayersModel | undefined, tf.LayersModel | undefined]> = [
      ['net24', this.#nets.net24, this.#nets.calib24],
      ['net48', this.#nets.net48, this.#nets.calib48],
    ];
    for (const [stage, net, calibration] of later) {
      if (DETECTION_STAGES.indexOf(stage) > last || !net) {
        break;
      }
      windows = this.#classify(octaves, windows, net, thresholds[stage]);
      if (stage === 'net48') {
        // Li et al. apply the last NMS across all scales before the 48-calib net.
        windows = nmsPerImage(windows, images.length, nmsThresholds.net48);
        windows = this.#calibrate(octaves, windows, calibration);
      } else {
        windows = this.#calibrate(octaves, windows, calibration);
        windows = nmsPerImage(windows, images.length, nmsThresholds[stage]);
      }
      this.#record(results, windows, stage, call);
    }

    for (const window of windows) {
      results[window.image]?.boxes.push(window.box);
    }
    for (const result of results) {
      result.boxes.sort((a, b) => b.score - a.score);
    }
    return results;
  }

  /** Frees the kernels of the fully convolutional 12-net; the nets themselves stay with the caller. */
  dispose(): void {
    this.#scanner.dispose();
    this.#calibrationScanner?.dispose();
  }

  /**
   * Scans every pyramid level of one image with the fully convolutional 12-net and, when it is
   * given, the fully convolutional 12-calib net, whose output at the same position calibrates the
   * window that the 12-net accepted there. The levels are stacked into one tall image, each
   * starting at a row that is a multiple of the stride, so that each net runs once per image.
   */
  #scan(image: RgbImage, imageIndex: number, octaves: ImageOctaves): Window[] {
    const { windowSize } = this.#scanner;
    const { stride } = this.options;
    const levels = pyramidLevels(image.width, image.height, {
      minFaceSize: this.options.minFaceSize,
      factor: this.options.pyramidFactor,
      windowSize,
    });
    if (levels.length === 0) {
      return [];
    }

    const tops: number[] = [];
    let height = 0;
    for (const level of levels) {
      tops.push(height);
      height += Math.ceil(level.height / stride) * stride;
    }
    const width = (levels[0] as (typeof levels)[number]).width;
    const stacked = new Float32Array(width * height * 3);
    // The first level is resampled from the smallest octave of the image that is at least twice its
    // size, as crops are. The later, smaller levels are resampled from the first level, so each level
    // reads a few source pixels per pixel instead of the whole image.
    const first = levels[0] as (typeof levels)[number];
    let source = octaves.sourceFor(first.width, first.height).image;
    levels.forEach((level, index) => {
      const pixels = resampleBox(source, { x: 0, y: 0, w: source.width, h: source.height }, level.width, level.height);
      if (index === 0 && level.width < source.width) {
        source = { data: pixels, width: level.width, height: level.height, channels: 3 };
      }
      for (let row = 0; row < level.height; row += 1) {
        const from = row * level.width * 3;
        const to = ((tops[index] as number) + row) * width * 3;
        for (let k = 0; k < level.width * 3; k += 1) {
          stacked[to + k] = (pixels[from + k] as number) / 255;
        }
      }
    });

    const input = tf.tensor4d(stacked, [1, height, width, 3]);
    try {
      let columns = 0;
      const faceProbabilities = readTensor(() => {
        const output = this.#scanner.predict(input, stride);
        columns = output.shape[2];
        return output.slice([0, 0, 0, LABEL_FACE], [1, -1, -1, 1]);
      });

      const threshold = this.options.thresholds.net12;
      const windows: Window[] = [];
      const positions: number[] = [];
      levels.forEach((level, index) => {
        // Window positions map back through the level's actual scale on each axis.
        const scaleX = level.width / image.width;
        const scaleY = level.height / image.height;
        const firstRow = (tops[index] as number) / stride;
        // Only windows that lie wholly inside the level count; the others read a neighbor level.
        const rows = Math.floor((level.height - windowSize) / stride) + 1;
        const levelColumns = Math.floor((level.width - windowSize) / stride) + 1;
        for (let row = 0; row < rows; row += 1) {
          for (let column = 0; column < levelColumns; column += 1) {
            const score = faceProbabilities[(firstRow + row) * columns + column] as number;
            if (score < threshold) {
              continue;
            }
            positions.push(firstRow + row, column);
            windows.push({
              image: imageIndex,
              box: {
                x: (column * stride) / scaleX,
                y: (row * stride) / scaleY,
                w: windowSize / scaleX,
                h: windowSize / scaleY,
                score,
              },
            });
          }
        }
      });

      // The 12-calib net runs only where the 12-net accepted a window, on the same stacked image.
      const calibration = this.#calibrationScanner;
      if (calibration && windows.length > 0) {
        const patterns = readTensor(() => calibration.predictAt(input, Int32Array.from(positions), stride));
        const classes = CALIBRATION_PATTERNS.length;
        windows.forEach((window, index) => {
          const pattern = averagePatterns(
            patterns.subarray(index * classes, (index + 1) * classes),
            this.options.calibrationThreshold,
          );
          if (pattern) {
            window.box = { ...applyCalibration(window.box, pattern), score: window.box.score };
          }
        });
      }
      return windows;
    } finally {
      input.dispose();
    }
  }

  /**
   * Runs a net over the crops of all windows in batches and returns its probabilities, row-major.
   * Each window keeps its crop, so that a later net of the same input size on the same box reuses it.
   */
  #predict(octaves: readonly ImageOctaves[], windows: readonly Window[], net: tf.LayersModel): Float32Array {
    const size = net.inputs[0]?.shape[1] as number;
    const classes = net.outputs[0]?.shape[1] as number;
    const probabilities = new Float32Array(windows.length * classes);
    const cropLength = size * size * 3;
    const predictor = this.#predictor(net);
    for (let start = 0; start < windows.length; start += this.options.batchSize) {
      const batch = windows.slice(start, start + this.options.batchSize);
      const pixels = new Float32Array(batch.length * cropLength);
      batch.forEach((window, index) => {
        if (window.crop?.length !== cropLength) {
          const crop = (octaves[window.image] as ImageOctaves).crop(window.box, size);
          const scaled = new Float32Array(cropLength);
          for (let k = 0; k < cropLength; k += 1) {
            scaled[k] = (crop[k] as number) * BYTE_TO_UNIT;
          }
          window.crop = scaled;
        }
        pixels.set(window.crop, index * cropLength);
      });
      const values = readTensor(() => predictor(tf.tensor4d(pixels, [batch.length, size, size, 3])));
      probabilities.set(values, start * classes);
    }
    return probabilities;
  }

  /**
   * The native ops run the 24- and 48-stages three to four times faster than tfjs-layers' `predict`
   * (24-net on 144 windows: 6 ms against 28 ms), mostly by adding each convolution's bias in the
   * convolution and applying ReLU after max pooling.
   */
  #predictor(net: tf.LayersModel): (x: tf.Tensor) => tf.Tensor {
    let predictor = this.#predictors.get(net);
    if (!predictor) {
      const native = createNativePredictor(net);
      predictor = typeof native === 'string' ? (x: tf.Tensor) => net.predict(x) as tf.Tensor : native;
      this.#predictors.set(net, predictor);
    }
    return predictor;
  }

  /** Keeps the windows whose face probability reaches `threshold`, scored by that probability. */
  #classify(octaves: readonly ImageOctaves[], windows: Window[], net: tf.LayersModel, threshold: number): Window[] {
    if (windows.length === 0) {
      return windows;
    }
    const probabilities = this.#predict(octaves, windows, net);
    const kept: Window[] = [];
    windows.forEach((window, index) => {
      const score = probabilities[index * 2 + LABEL_FACE] as number;
      if (score >= threshold) {
        kept.push({ image: window.image, box: { ...window.box, score }, crop: window.crop });
      }
    });
    return kept;
  }

  /** Moves each window by the average of its confident calibration patterns; keeps its score. */
  #calibrate(octaves: readonly ImageOctaves[], windows: Window[], net: tf.LayersModel | undefined): Window[] {
    if (!net || windows.length === 0) {
      return windows;
    }
    const classes = net.outputs[0]?.shape[1] as number;
    const probabilities = this.#predict(octaves, windows, net);
    return windows.map((window, index) => {
      const confidences = probabilities.subarray(index * classes, (index + 1) * classes);
      const pattern = averagePatterns(confidences, this.options.calibrationThreshold);
      if (!pattern) {
        return window;
      }
      return { image: window.image, box: { ...applyCalibration(window.box, pattern), score: window.box.score } };
    });
  }

  #record(results: Detection[], windows: readonly Window[], stage: DetectionStage, call: DetectCallOptions): void {
    const perImage = results.map((): ScoredBox[] => []);
    for (const window of windows) {
      perImage[window.image]?.push(window.box);
    }
    results.forEach((result, index) => {
      const boxes = perImage[index] ?? [];
      result.stages.push(call.recordStages ? { stage, count: boxes.length, boxes } : { stage, count: boxes.length });
    });
  }
}

/** Applies NMS to the windows of each image separately. */
function nmsPerImage(windows: readonly Window[], imageCount: number, iouThreshold: number): Window[] {
  const byImage = Array.from({ length: imageCount }, (): Window[] => []);
  for (const window of windows) {
    byImage[window.image]?.push(window);
  }
  return byImage.flatMap((group) => fastNms(group, (window) => window.box, iouThreshold));
}

/**
 * Greedy NMS, as `nms` in geometry.ts computes it (highest score first, drop IoU above the
 * threshold), over typed arrays: the 12-stage can pass thousands of windows per image.
 */
export function fastNms<T>(items: readonly T[], boxOf: (item: T) => ScoredBox, iouThreshold: number): T[] {
  if (iouThreshold >= 1 || items.length < 2) {
    return [...items].sort((a, b) => boxOf(b).score - boxOf(a).score);
  }
  const order = items
    .map((_item, index) => index)
    .sort((a, b) => boxOf(items[b] as T).score - boxOf(items[a] as T).score);
  const count = order.length;
  const x1 = new Float64Array(count);
  const y1 = new Float64Array(count);
  const x2 = new Float64Array(count);
  const y2 = new Float64Array(count);
  const area = new Float64Array(count);
  order.forEach((windowIndex, i) => {
    const box = boxOf(items[windowIndex] as T);
    x1[i] = box.x;
    y1[i] = box.y;
    x2[i] = box.x + box.w;
    y2[i] = box.y + box.h;
    area[i] = Math.max(box.w, 0) * Math.max(box.h, 0);
  });

  const suppressed = new Uint8Array(count);
  const kept: T[] = [];
  for (let i = 0; i < count; i += 1) {
    if (suppressed[i]) {
      continue;
    }
    kept.push(items[order[i] as number] as T);
    for (let j = i + 1; j < count; j += 1) {
      if (suppressed[j]) {
        continue;
      }
      const width = Math.min(x2[i] as number, x2[j] as number) - Math.max(x1[i] as number, x1[j] as number);
      const height = Math.min(y2[i] as number, y2[j] as number) - Math.max(y1[i] as number, y1[j] as number);
      if (width <= 0 || height <= 0) {
        continue;
      }
      const intersection = width * height;
      const union = (area[i] as number) + (area[j] as number) - intersection;
      if (union > 0 && intersection / union > iouThreshold) {
        suppressed[j] = 1;
      }
    }
  }
  return kept;
}

/**
 * Converts a calibration net for scanning alongside the 12-net, or returns undefined when its
 * window or stride differ or its layers cannot be converted, so that windows are cropped instead.
 */
function scannerMatching(net: tf.LayersModel, reference: FullyConvolutionalNet): FullyConvolutionalNet | undefined {
  let scanner: FullyConvolutionalNet;
  try {
    scanner = toFullyConvolutional(net);
  } catch {
    return undefined;
  }
  if (scanner.windowSize !== reference.windowSize || scanner.stride !== reference.stride) {
    scanner.dispose();
    return undefined;
  }
  return scanner;
}
