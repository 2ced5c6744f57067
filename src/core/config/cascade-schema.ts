import { z } from 'zod';
import { detectorOptionsSchema } from '../detect/detector-options.js';
import type { AugmenterSpec, ModelSpec, OptimizerSpec, SourceSpec } from './plugin-types.js';
import type { TrainConfig } from './train-schema.js';

const pluginSpec = z.object({ type: z.string({ required_error: 'expected a plugin type name' }) }).passthrough();

/** The six nets in training order. */
export const CASCADE_NETS = ['net12', 'calib12', 'net24', 'calib24', 'net48', 'calib48'] as const;
export type CascadeNet = (typeof CASCADE_NETS)[number];

/** Training settings of one net of the cascade. They are validated again as a single-net experiment. */
const netSchema = z
  .object({
    data: z
      .object({
        sources: z.array(pluginSpec).min(1, 'expected at least one data source'),
        augmenters: z.array(pluginSpec).min(1, 'expected at least one augmenter'),
      })
      .strict(),
    /** The model plugin; by default the net's own type. The 24- and 48-nets get their frozen run filled in. */
    model: pluginSpec.optional(),
    optimizer: pluginSpec.optional(),
    train: z.record(z.unknown()).optional(),
  })
  .strict();

/** `experiments/cascade.ts`: every net, the threshold picking, the mining and the evaluation. */
export const cascadeSchema = z
  .object({
    kind: z.literal('cascade'),
    name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'expected a name of letters, digits, ".", "_" or "-"'),
    description: z.string().optional(),
    /** TensorFlow's threads per op for the whole run, as in a single-net experiment. */
    threads: z.number().int().positive().optional(),
    nets: z
      .object(Object.fromEntries(CASCADE_NETS.map((net) => [net, netSchema])) as Record<CascadeNet, typeof netSchema>)
      .strict(),
    thresholds: z
      .object({
        /** Annotated sources whose faces are held out from training and pick the stage thresholds. */
        heldOut: z.array(pluginSpec).min(1, 'expected at least one held-out source'),
        /** Recall the 12-stage keeps on the held-out faces. */
        recall12: z.number().gt(0).max(1).default(0.99),
        /** Recall the 24-stage keeps on the held-out faces that the 12-stage reached. */
        recall24: z.number().gt(0).max(1).default(0.97),
      })
      .strict(),
    mining: z
      .object({
        /** Sources mined for hard negatives: face-free images, and annotated ones with `useFaceImages`. */
        sources: z.array(pluginSpec).min(1, 'expected at least one source to mine'),
        /** Windows kept per image at most. */
        maxPerImage: z.number().int().positive().default(100),
        /**
         * Also mines the annotated images among `sources`, keeping windows whose IoU with every face
         * (ignored faces included) stays below 0.3. Windows on parts of faces are then negatives too.
         */
        useFaceImages: z.boolean().default(false),
      })
      .strict(),
    /** Detector options used for picking thresholds, mining and evaluation; the picked thresholds replace these. */
    detector: detectorOptionsSchema.partial().default({}),
    evaluation: z
      .object({
        /** FDDB root, relative to the data root, and the folds scored; keep them out of every training source. */
        fddb: z.object({ root: z.string(), folds: z.array(z.number().int().min(1).max(10)).min(1) }).strict(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type ResolvedCascadeConfig = z.output<typeof cascadeSchema>;

/** One net of a typed cascade experiment file. */
export interface CascadeNetConfig {
  data: { sources: SourceSpec[]; augmenters: AugmenterSpec[] };
  model?: ModelSpec;
  optimizer?: OptimizerSpec;
  train?: TrainConfig;
}

/** A typed cascade experiment file. */
export interface CascadeExperimentConfig {
  kind: 'cascade';
  name: string;
  description?: string;
  nets: Record<CascadeNet, CascadeNetConfig>;
  thresholds: { heldOut: SourceSpec[]; recall12?: number; recall24?: number };
  mining: { sources: SourceSpec[]; maxPerImage?: number; useFaceImages?: boolean };
  detector?: z.input<typeof detectorOptionsSchema>;
  evaluation?: { fddb: { root: string; folds: number[] } };
}

/** Returns its argument, typed, so that `experiments/cascade.ts` is checked by the compiler. */
export function defineCascadeExperiment(config: CascadeExperimentConfig): CascadeExperimentConfig {
  return config;
}
