import { z } from 'zod';

/**
 * Options of the cascade detector. Thresholds are probabilities of the face class, and the defaults
 * are starting points. `experiments/cascade.ts` picks the 12- and 24-stage thresholds for 99% and
 * 97% recall on held-out faces, as Li et al. (CVPR 2015) do.
 */
export const detectorOptionsSchema = z
  .object({
    /** Smallest face side to find, in pixels of the original image: the pyramid starts at scale 12 / minFaceSize. */
    minFaceSize: z.number().positive().default(40),
    /** Scale between consecutive pyramid levels, in (0, 1). */
    pyramidFactor: z.number().gt(0).lt(1).default(0.8),
    /** Step between 12x12 windows on each scaled image, in pixels; a multiple of the 12-net's natural stride of 2. */
    stride: z.number().int().positive().default(4),
    /** Face-probability thresholds of the 12-, 24- and 48-nets. */
    thresholds: z
      .object({
        net12: z.number().min(0).max(1).default(0.5),
        net24: z.number().min(0).max(1).default(0.5),
        net48: z.number().min(0).max(1).default(0.5),
      })
      .strict()
      .default({}),
    /** Calibration patterns whose probability exceeds this are averaged into the adjustment. */
    calibrationThreshold: z.number().min(0).max(1).default(0.1),
    /** IoU above which NMS drops a window, after the 12-, 24- and 48-stages (the last one across the whole image). */
    nms: z
      .object({
        net12: z.number().min(0).max(1).default(0.5),
        net24: z.number().min(0).max(1).default(0.5),
        net48: z.number().min(0).max(1).default(0.3),
      })
      .strict()
      .default({}),
    /** Windows per forward pass of the 24- and 48-stage nets and the calibration nets. */
    batchSize: z.number().int().positive().default(512),
  })
  .strict();

export type DetectorOptions = z.input<typeof detectorOptionsSchema>;
export type ResolvedDetectorOptions = z.output<typeof detectorOptionsSchema>;
