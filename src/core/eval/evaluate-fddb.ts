import fs from 'node:fs/promises';
import path from 'node:path';
import type { CascadeDetector, DetectionStage } from '../detect/cascade-detector.js';
import { clipToImage, type ScoredBox } from '../geometry.js';
import { decodeRgbFile, readImageSize } from '../image/index.js';
import type { Logger } from '../logger.js';
import { type FddbDetections, type FddbImage, formatFddbDetections } from './fddb-files.js';
import {
  type FddbScoredImage,
  formatContRoc,
  formatDiscRoc,
  type RocPoint,
  recallAtFalsePositives,
  scoreFddb,
} from './fddb-score.js';
import { writeRocPng } from './roc-plot.js';

/** False-positive counts at which recall is reported. */
export const FALSE_POSITIVE_BUDGETS = [50, 100, 150, 500] as const;

/** Recall and windows per image after one stage, like the table of stages in Li et al. (CVPR 2015). */
export interface StageReport {
  stage: DetectionStage;
  /** Discrete recall with every window of the stage kept. */
  recall: number;
  windowsPerImage: number;
}

/** Detections of a set of FDDB images, with per-stage windows and timing when a detector produced them. */
export interface FddbRun {
  images: FddbImage[];
  sizes: Array<{ width: number; height: number }>;
  detections: FddbDetections[];
  /** Windows after each stage, per image, in the order of `images`. */
  stageBoxes?: Array<Map<DetectionStage, ScoredBox[]>>;
  /** Seconds spent in `detect`, decoding excluded. */
  detectSeconds?: number;
}

export interface FddbReport {
  images: number;
  faces: number;
  /** Discrete recall at 50, 100, 150 and 500 false positives. */
  recall: Record<string, number>;
  /** Continuous score (mean overlap of matches) at the same budgets. */
  continuousRecall: Record<string, number>;
  /**
   * Last point of the discrete ROC: the false positives and recall of every detection kept. Budgets
   * above its false positives repeat its recall.
   */
  curveEnd: { falsePositives: number; recall: number };
  stages: StageReport[];
  imagesPerSecond?: number;
  discrete: RocPoint[];
  continuous: RocPoint[];
}

/** Runs the detector over FDDB images one at a time, keeping the windows of every stage. */
export async function detectFddb(
  detector: CascadeDetector,
  images: readonly FddbImage[],
  logger: Logger,
): Promise<FddbRun> {
  const sizes: FddbRun['sizes'] = [];
  const detections: FddbDetections[] = [];
  const stageBoxes: NonNullable<FddbRun['stageBoxes']> = [];
  let detectSeconds = 0;
  const progress = logger.progress('detect', images.length, 'images');
  for (const image of images) {
    const pixels = await decodeRgbFile(image.path);
    const started = process.hrtime.bigint();
    const [detection] = detector.detect([pixels], { recordStages: true });
    detectSeconds += Number(process.hrtime.bigint() - started) / 1e9;
    sizes.push({ width: pixels.width, height: pixels.height });
    // Clipping leaves the scores as they are (the regions are clipped to the image) and keeps the
    // written detections inside the image.
    detections.push({
      name: image.name,
      detections: (detection?.boxes ?? []).map((box) => clipToImage(box, pixels.width, pixels.height)),
    });
    stageBoxes.push(new Map((detection?.stages ?? []).map((stage) => [stage.stage, stage.boxes ?? []])));
    progress.tick(1, { faces: detection?.boxes.length ?? 0 });
  }
  progress.done();
  return { images: [...images], sizes, detections, stageBoxes, detectSeconds };
}

/** Pairs FDDB images with detections read from a file in FDDB's output format; missing images have none. */
export async function externalFddbRun(
  images: readonly FddbImage[],
  detections: readonly FddbDetections[],
): Promise<FddbRun> {
  const byName = new Map(detections.map((entry) => [entry.name, entry.detections]));
  const sizes = await Promise.all(images.map((image) => readImageSize(image.path)));
  return {
    images: [...images],
    sizes,
    detections: images.map((image) => ({ name: image.name, detections: byName.get(image.name) ?? [] })),
  };
}

function scoredImages(run: FddbRun, boxesOf: (index: number) => readonly ScoredBox[]): FddbScoredImage[] {
  return run.images.map((image, index) => ({
    name: image.name,
    size: run.sizes[index] ?? { width: 0, height: 0 },
    ellipses: image.ellipses,
    detections: boxesOf(index),
  }));
}

/** Scores a run: ROC curves, recall at fixed false positives, per-stage recall and speed. */
export function reportFddb(run: FddbRun): FddbReport {
  const result = scoreFddb(scoredImages(run, (index) => run.detections[index]?.detections ?? []));
  const recall: Record<string, number> = {};
  const continuousRecall: Record<string, number> = {};
  for (const budget of FALSE_POSITIVE_BUDGETS) {
    recall[String(budget)] = recallAtFalsePositives(result.discrete, budget);
    continuousRecall[String(budget)] = recallAtFalsePositives(result.continuous, budget);
  }

  const stages: StageReport[] = [];
  const stageNames = new Set(run.stageBoxes?.flatMap((map) => [...map.keys()]) ?? []);
  for (const stage of stageNames) {
    // Every window of the stage counts, so all scores are set equal and one matching is made per image.
    const boxesOf = (index: number) => (run.stageBoxes?.[index]?.get(stage) ?? []).map((box) => ({ ...box, score: 0 }));
    const stageResult = scoreFddb(scoredImages(run, boxesOf));
    const windows = run.images.reduce((sum, _image, index) => sum + boxesOf(index).length, 0);
    stages.push({
      stage,
      recall: stageResult.discrete.reduce((best, point) => Math.max(best, point.truePositiveRate), 0),
      windowsPerImage: run.images.length > 0 ? windows / run.images.length : 0,
    });
  }

  const curveEnd = { falsePositives: 0, recall: 0 };
  for (const point of result.discrete) {
    curveEnd.falsePositives = Math.max(curveEnd.falsePositives, point.falsePositives);
    curveEnd.recall = Math.max(curveEnd.recall, point.truePositiveRate);
  }

  return {
    images: result.images,
    faces: result.faces,
    recall,
    continuousRecall,
    curveEnd,
    stages,
    imagesPerSecond: run.detectSeconds ? run.images.length / run.detectSeconds : undefined,
    discrete: result.discrete,
    continuous: result.continuous,
  };
}

/** Files that `writeFddbReport` creates in its output folder. */
export const FDDB_REPORT_FILES = {
  detections: 'detections.txt',
  discrete: 'DiscROC.txt',
  continuous: 'ContROC.txt',
  plot: 'roc.png',
  metrics: 'metrics.json',
} as const;

/** Writes the detections, both ROC files, a PNG of the discrete ROC and the metrics as JSON. */
export async function writeFddbReport(
  directory: string,
  run: FddbRun,
  report: FddbReport,
  label: string,
): Promise<string[]> {
  await fs.mkdir(directory, { recursive: true });
  const files = Object.values(FDDB_REPORT_FILES).map((name) => path.join(directory, name));
  await fs.writeFile(path.join(directory, FDDB_REPORT_FILES.detections), formatFddbDetections(run.detections));
  await fs.writeFile(path.join(directory, FDDB_REPORT_FILES.discrete), formatDiscRoc(report.discrete));
  await fs.writeFile(path.join(directory, FDDB_REPORT_FILES.continuous), formatContRoc(report.continuous));
  await writeRocPng(
    path.join(directory, FDDB_REPORT_FILES.plot),
    [{ label, points: report.discrete }],
    `FDDB discrete ROC (${report.images} images, ${report.faces} faces)`,
    Math.max(...FALSE_POSITIVE_BUDGETS),
  );
  const { discrete: _discrete, continuous: _continuous, ...metrics } = report;
  await fs.writeFile(path.join(directory, FDDB_REPORT_FILES.metrics), `${JSON.stringify(metrics, null, 2)}\n`);
  return files;
}
