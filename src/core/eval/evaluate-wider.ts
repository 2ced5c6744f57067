import fs from 'node:fs/promises';
import path from 'node:path';
import type { CascadeDetector } from '../detect/cascade-detector.js';
import { CascadeError } from '../errors.js';
import { clipToImage, type ScoredBox } from '../geometry.js';
import { decodeRgbFile, listImageFiles } from '../image/index.js';
import type { Logger } from '../logger.js';
import { readWiderGroundTruth, scoreWider, type WiderResult } from './wider-score.js';

export interface WiderReport extends WiderResult {
  imagesPerSecond: number;
}

/**
 * Detects faces in every image under `<root>/images/<event>/` that the official validation ground
 * truth lists, and scores average precision per subset.
 */
export async function evaluateWider(
  detector: CascadeDetector,
  root: string,
  logger: Logger,
): Promise<{ report: WiderReport; predictions: Map<string, ScoredBox[]> }> {
  const groundTruth = await readWiderGroundTruth(root);
  const imagesDir = path.join(root, 'images');
  const files = (await listImageFiles(imagesDir).catch(() => [])).filter((file) =>
    groundTruth.has(
      path
        .relative(imagesDir, file)
        .replace(/\\/g, '/')
        .replace(/\.[^.]+$/, ''),
    ),
  );
  if (files.length === 0) {
    throw new CascadeError(`No WIDER FACE validation images under ${imagesDir}; expected images/<event>/<name>.jpg.`);
  }

  const predictions = new Map<string, ScoredBox[]>();
  let seconds = 0;
  const progress = logger.progress('detect', files.length, 'images');
  for (const file of files) {
    const id = path
      .relative(imagesDir, file)
      .replace(/\\/g, '/')
      .replace(/\.[^.]+$/, '');
    const image = await decodeRgbFile(file);
    const started = process.hrtime.bigint();
    const [detection] = detector.detect([image]);
    seconds += Number(process.hrtime.bigint() - started) / 1e9;
    predictions.set(
      id,
      (detection?.boxes ?? []).map((box) => clipToImage(box, image.width, image.height)),
    );
    progress.tick();
  }
  progress.done();
  const result = scoreWider(predictions, groundTruth);
  return { report: { ...result, imagesPerSecond: seconds > 0 ? files.length / seconds : 0 }, predictions };
}

/** Writes the WIDER FACE metrics and the predictions, one `<id>.txt` per image in the official submission layout. */
export async function writeWiderReport(
  directory: string,
  report: WiderReport,
  predictions: ReadonlyMap<string, readonly ScoredBox[]>,
): Promise<void> {
  await fs.mkdir(directory, { recursive: true });
  await fs.writeFile(path.join(directory, 'metrics.json'), `${JSON.stringify(report, null, 2)}\n`);
  for (const [id, boxes] of predictions) {
    const file = path.join(directory, 'predictions', `${id}.txt`);
    await fs.mkdir(path.dirname(file), { recursive: true });
    const lines = [
      path.basename(id),
      String(boxes.length),
      ...boxes.map((box) => `${box.x} ${box.y} ${box.w} ${box.h} ${box.score}`),
    ];
    await fs.writeFile(file, `${lines.join('\n')}\n`);
  }
}
