import { z } from 'zod';

/** Weight initializers that the model plugins accept, with tfjs's names. */
export const INITIALIZERS = [
  'glorotUniform',
  'glorotNormal',
  'heUniform',
  'heNormal',
  'leCunUniform',
  'leCunNormal',
] as const;
export type InitializerName = (typeof INITIALIZERS)[number];

/** Stops training when a validation metric has not improved for `patience` epochs. */
export const earlyStoppingSchema = z
  .object({
    /** Metric name as logged at the end of an epoch, such as `val_loss` or `val_accuracy`. */
    metric: z.string().default('val_loss'),
    /** `min` for losses, `max` for accuracies and IoU. */
    mode: z.enum(['min', 'max']).default('min'),
    /** Epochs without improvement before training stops. */
    patience: z.number().int().positive().default(3),
    /** Smallest change that counts as an improvement. */
    minDelta: z.number().nonnegative().default(0),
    /**
     * Saves the weights of the best epoch by `metric`, in place of the last epoch's, as the run's
     * final model. Off, the final model is the last epoch's, as in Keras' EarlyStopping.
     */
    restoreBestWeights: z.boolean().default(true),
  })
  .strict();

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
    /**
     * Upper bound on validation samples evaluated per epoch; all of them by default.
     * NOTE: the bound keeps the first samples in store order, which come from the first sources.
     */
    validationSamples: z.number().int().positive().optional(),
    /** Kernel initializer of every conv and dense layer. */
    initializer: z.enum(INITIALIZERS).default('glorotUniform'),
    /** Samples held per class in the shuffle buffers; bounds memory while streaming the store. */
    shuffleBufferSize: z.number().int().positive().default(4096),
    /** A checkpoint is written every this many steps, and always at the end of an epoch. */
    checkpointEverySteps: z.number().int().positive().default(500),
    /** Training loss and accuracy are sent to the trackers every this many steps. */
    logEverySteps: z.number().int().positive().default(10),
    /** Early stopping; training runs all epochs when this is absent. */
    earlyStopping: earlyStoppingSchema.optional(),
  })
  .strict();

export type TrainConfig = z.input<typeof trainSchema>;
export type ResolvedTrainConfig = z.output<typeof trainSchema>;
