import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { Augmenter } from '../../core/augmenter.js';
import { CascadeDetector, DETECTION_STAGES, type DetectionStage } from '../../core/detect/cascade-detector.js';
import { detectorOptionsSchema } from '../../core/detect/detector-options.js';
import { loadCascade } from '../../core/detect/load-cascade.js';
import { iou, type ScoredBox } from '../../core/geometry.js';
import { cropAndResize } from '../../core/image/index.js';
import type { Logger } from '../../core/logger.js';
import { definePlugin } from '../../core/registry.js';
import { type AnnotatedImage, LABEL_NON_FACE, type Sample } from '../../core/types.js';
import { augmenterBaseOptions, decodeImages, groupOf, seededRandom } from './common.js';

// Li et al. (CVPR 2015) count a window as a non-face when it overlaps every face by less than this IoU.
const DEFAULT_MAX_IOU = 0.3;

export const hardNegativesOptions = augmenterBaseOptions
  .extend({
    /**
     * Trained earlier stages: a cascade run directory (with cascade.json) or the runs of single nets,
     * such as ['runs/12net/latest', 'runs/12cal/latest'].
     */
    models: z.array(z.string().min(1)).min(1, 'expected at least one trained run'),
    /** Last stage run before mining; by default the stage before the one this crop size trains (net12 for 24). */
    lastStage: z.enum(DETECTION_STAGES).optional(),
    /** Detector options over those saved with the runs, such as the 99% recall threshold of the 12-net. */
    detector: detectorOptionsSchema.partial().default({}),
    /** Windows kept per image at most, drawn at random (seeded) when more pass. */
    maxPerImage: z.number().int().positive().default(100),
    /** Also mines annotated images, keeping windows whose IoU with every face stays below `maxIou`. */
    useFaceImages: z.boolean().default(false),
    maxIou: z.number().min(0).max(1).default(DEFAULT_MAX_IOU),
    /** Seed of the window draws; defaults to the project seed. */
    seed: z.number().int().nonnegative().optional(),
  })
  .strict();

declare module '../../core/config/plugin-types.js' {
  interface AugmenterTypes {
    'hard-negatives': z.input<typeof hardNegativesOptions>;
  }
}

type HardNegativesOptions = z.output<typeof hardNegativesOptions>;

/** Returns the stage before the net that trains on crops of `size`: net12 for 24-pixel crops, net24 for 48. */
function stageBefore(size: number): DetectionStage {
  return size >= 48 ? 'net24' : 'net12';
}

/**
 * Hard negatives: windows of face-free images that the trained earlier stages of the cascade
 * still accept, cropped at the next net's size and labeled LABEL_NON_FACE. This bootstrapping is
 * what makes the 24- and 48-nets learn what the earlier stages get wrong.
 */
export class HardNegativeMiner implements Augmenter {
  readonly name = 'hard-negatives';
  readonly numClasses = 2;
  readonly size: number;
  readonly #options: HardNegativesOptions;
  readonly #seed: number;
  readonly #projectDir: string;
  readonly #logger: Logger;

  constructor(options: HardNegativesOptions, context: { seed: number; projectDir: string; logger: Logger }) {
    this.size = options.size;
    this.#options = options;
    this.#seed = options.seed ?? context.seed;
    this.#projectDir = context.projectDir;
    this.#logger = context.logger;
  }

  /** Digest of the weight files of every run it mines with, so that a retrained net gives a new store. */
  async cacheKey(): Promise<string> {
    const hash = createHash('sha256');
    for (const reference of this.#options.models) {
      hash.update(`${reference}\0`);
      if (reference.startsWith('mlflow:')) {
        // MLflow run ids never point at other weights.
        continue;
      }
      for (const file of await modelFiles(path.resolve(this.#projectDir, reference))) {
        hash.update(file.relative);
        hash.update(await fs.readFile(file.absolute));
      }
    }
    return hash.digest('hex');
  }

  async *samples(images: AsyncIterable<AnnotatedImage>): AsyncIterable<Sample> {
    const cascade = await loadCascade(this.#options.models, { projectDir: this.#projectDir });
    const detectorOptions = {
      ...cascade.detector,
      ...this.#options.detector,
      thresholds: { ...cascade.detector.thresholds, ...this.#options.detector.thresholds },
      nms: { ...cascade.detector.nms, ...this.#options.detector.nms },
    };
    const detector = new CascadeDetector(cascade.nets, detectorOptions);
    const lastStage = this.#options.lastStage ?? stageBefore(this.size);
    let mined = 0;
    let scanned = 0;
    try {
      const decoded = decodeImages(images, {
        augmenter: this.name,
        logger: this.#logger,
        sources: this.#options.sources,
        accept: (image) => !image.crop && (image.faceFree === true || this.#options.useFaceImages),
      });
      for await (const { image, rgb } of decoded) {
        scanned += 1;
        const [detection] = detector.detect([rgb], { lastStage });
        const windows = this.#pick(image, detection?.boxes ?? []);
        const group = groupOf(image);
        for (const window of windows) {
          mined += 1;
          yield { size: this.size, label: LABEL_NON_FACE, group, pixels: cropAndResize(rgb, window, this.size) };
        }
      }
    } finally {
      detector.dispose();
      cascade.dispose();
    }
    this.#logger.info(`hard-negatives: ${mined} windows from ${scanned} images passed the stages up to ${lastStage}`);
  }

  /** Drops windows on faces and keeps at most `maxPerImage`, drawn with a seeded shuffle. */
  #pick(image: AnnotatedImage, boxes: readonly ScoredBox[]): ScoredBox[] {
    const faces = image.faceFree ? [] : image.faces.map((face) => face.box);
    const free = boxes.filter((box) => faces.every((face) => iou(box, face) < this.#options.maxIou));
    if (free.length <= this.#options.maxPerImage) {
      return free;
    }
    const random = seededRandom(this.#seed, groupOf(image));
    const shuffled = [...free];
    for (let i = shuffled.length - 1; i > 0; i -= 1) {
      const j = Math.floor(random() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j] as ScoredBox, shuffled[i] as ScoredBox];
    }
    return shuffled.slice(0, this.#options.maxPerImage);
  }
}

export const hardNegativesAugmenter = definePlugin({
  kind: 'augmenter',
  type: 'hard-negatives',
  description:
    'Windows of face-free images that the trained earlier cascade stages accept, as negatives for the next net.',
  options: hardNegativesOptions,
  create: (options, context) =>
    new HardNegativeMiner(options, {
      seed: context.runtime.seed,
      projectDir: context.runtime.projectDir,
      logger: context.logger,
    }),
});

/** Files inside `model/` folders under a run or cascade directory (links followed), sorted by path. */
async function modelFiles(root: string): Promise<Array<{ relative: string; absolute: string }>> {
  const found: Array<{ relative: string; absolute: string }> = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const absolute = path.join(dir, entry.name);
      const stat = await fs.stat(absolute).catch(() => undefined);
      if (stat?.isFile() && path.basename(dir) === 'model') {
        found.push({ relative: path.relative(root, absolute), absolute });
      } else if (stat?.isDirectory() && depth < 3 && entry.name !== 'checkpoints') {
        await walk(absolute, depth + 1);
      }
    }
  };
  await walk(await fs.realpath(root).catch(() => root), 0);
  return found;
}
