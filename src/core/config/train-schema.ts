import { z } from 'zod';

/** Training-loop settings of an experiment (`train.*`). */
export const trainSchema = z
  .object({
    /** Passes over the training samples. */
    epochs: z.number().int().positive().default(10),
    /** Samples per step; the method's reference setting is 64. */
    batchSize: z.number().int().positive().default(64),
    /** Steps per epoch; by default one pass over the training samples. */
    stepsPerEpoch: z.number().int().positive().optional(),
    /** Fraction of source images (not crops) held out for validation. */
    validationFraction: z.number().min(0).max(0.9).default(0.1),
  })
  .strict();

export type TrainConfig = z.input<typeof trainSchema>;
export type ResolvedTrainConfig = z.output<typeof trainSchema>;
