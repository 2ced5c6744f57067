import fs from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { BACKENDS, type BackendName, selectBackend } from '../../core/backend.js';
import { writeAnnotatedImage } from '../../core/detect/annotate.js';
import { CascadeDetector } from '../../core/detect/cascade-detector.js';
import type { DetectorOptions } from '../../core/detect/detector-options.js';
import { loadCascade } from '../../core/detect/load-cascade.js';
import { CascadeError } from '../../core/errors.js';
import { clipToImage } from '../../core/geometry.js';
import { decodeRgbFile, isImageFile, listImageFiles } from '../../core/image/index.js';
import { Logger } from '../../core/logger.js';
import { collect } from '../options.js';
import { type DetectorFlags, describeDetector, detectorFlags, detectorOptionsFrom } from './detector-flags.js';

interface DetectFlags extends DetectorFlags {
  model: string[];
  out: string;
  annotate: boolean;
  backend: BackendName;
}

/** Lists the image files a path names: the file itself, or every image under a folder. */
export async function resolveImages(target: string): Promise<string[]> {
  let stat: Awaited<ReturnType<typeof fs.stat>>;
  try {
    stat = await fs.stat(target);
  } catch (error) {
    throw new CascadeError(`Image or folder not found: ${target}.`, { cause: error });
  }
  if (stat.isDirectory()) {
    const files = await listImageFiles(target);
    if (files.length === 0) {
      throw new CascadeError(`No JPEG or PNG files under ${target}.`);
    }
    return files;
  }
  if (!isImageFile(target)) {
    throw new CascadeError(`${target} is not a JPEG or PNG file; pass an image or a folder of images.`);
  }
  return [path.resolve(target)];
}

export function registerDetectCommand(program: Command): void {
  const command = program
    .command('detect')
    .description(
      'Detect faces with a trained cascade: prints boxes with scores as JSON and writes a copy of each image with the boxes drawn.',
    )
    .argument('<image-or-folder>', 'a JPEG or PNG file, or a folder searched recursively')
    .requiredOption(
      '--model <run>',
      'a cascade run directory (with cascade.json), the run of one net, or mlflow:<run id> (repeatable; single runs are placed by the model type they trained)',
      collect,
      [],
    )
    .option('--out <dir>', 'folder for the annotated copies', 'detections')
    .option('--no-annotate', 'skip writing annotated copies')
    .option('--backend <name>', `TensorFlow backend: ${BACKENDS.join(', ')}`, 'tensorflow');
  detectorFlags(command).action(async (target: string, flags: DetectFlags) => {
    const logger = new Logger({ level: 'info' });
    await selectBackend(flags.backend, logger);
    const files = await resolveImages(target);
    const cascade = await loadCascade(flags.model);
    const options: DetectorOptions = detectorOptionsFrom(flags, cascade.detector);
    const detector = new CascadeDetector(cascade.nets, options);
    logger.info(`detector: ${describeDetector(detector.options)}`);
    if (flags.annotate) {
      await fs.mkdir(flags.out, { recursive: true });
    }

    const results: unknown[] = [];
    const skipped: Array<{ item: string; reason: string }> = [];
    const progress = logger.progress('detect', files.length, 'images');
    try {
      for (const file of files) {
        let image: Awaited<ReturnType<typeof decodeRgbFile>>;
        try {
          image = await decodeRgbFile(file);
        } catch (error) {
          skipped.push({ item: file, reason: (error as Error).message });
          progress.tick();
          continue;
        }
        const [detection] = detector.detect([image]);
        // Windows can reach past the image's edges; faces are reported by the part inside the image.
        const boxes = (detection?.boxes ?? []).map((window) => {
          const box = clipToImage(window, image.width, image.height);
          return {
            x: round(box.x),
            y: round(box.y),
            w: round(box.w),
            h: round(box.h),
            score: round(box.score, 4),
          };
        });
        let annotated: string | undefined;
        if (flags.annotate) {
          annotated = path.join(flags.out, annotatedName(file, target));
          await fs.mkdir(path.dirname(annotated), { recursive: true });
          await writeAnnotatedImage(file, annotated, boxes);
        }
        results.push({ image: file, width: image.width, height: image.height, boxes, annotated });
        progress.tick();
      }
    } finally {
      progress.done();
      detector.dispose();
      cascade.dispose();
    }
    logger.warnSkipped('images that failed to decode', skipped);
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  });
}

/** Output name of an annotated copy: the path below the input folder, as a PNG. */
function annotatedName(file: string, target: string): string {
  const base = path.resolve(target) === file ? path.basename(file) : path.relative(path.resolve(target), file);
  return base.replace(/\.[^.]+$/, '.png');
}

function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
