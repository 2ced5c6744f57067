import { z } from 'zod';
import { BACKENDS } from '../backend.js';
import { LOG_LEVELS } from '../logger.js';
import type { AugmenterSpec, ModelSpec, OptimizerSpec, SourceSpec, TrackerSpec } from './plugin-types.js';
import { type TrainConfig, trainSchema } from './train-schema.js';

// A plugin spec's own fields are checked against the plugin's schema once the registry is loaded.
const pluginSpec = z.object({ type: z.string({ required_error: 'expected a plugin type name' }) }).passthrough();

/** Project defaults shared by every experiment (`cascade.config.ts`). */
export const projectSchema = z
  .object({
    backend: z.enum(BACKENDS).default('tensorflow'),
    threads: z.number().int().positive().optional(),
    seed: z.number().int().nonnegative().default(42),
    logLevel: z.enum(LOG_LEVELS).default('info'),
    /** Relative source paths resolve against this directory. */
    dataRoot: z.string().default('data'),
    cacheDir: z.string().default('.cascade/cache'),
    runsDir: z.string().default('runs'),
    trackers: z.array(pluginSpec).default([{ type: 'console' }, { type: 'local' }]),
    /** Modules that register more plugins, relative to the file that names them. */
    plugins: z.array(z.string()).default([]),
  })
  .strict();

const dataSchema = z
  .object({
    sources: z.array(pluginSpec).min(1, 'expected at least one data source'),
    augmenters: z.array(pluginSpec).min(1, 'expected at least one augmenter'),
  })
  .strict();

/** The merged config of one run: project defaults with the experiment over them. */
export const resolvedSchema = projectSchema
  .extend({
    name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'expected a name of letters, digits, ".", "_" or "-"'),
    description: z.string().optional(),
    data: dataSchema,
    model: pluginSpec,
    optimizer: pluginSpec.default({ type: 'adadelta' }),
    train: trainSchema.default({}),
  })
  .strict();

export type ResolvedConfig = z.output<typeof resolvedSchema> & {
  /** Absolute path of the experiment file, or undefined for configs built in code. */
  file?: string;
  /** Absolute path of cascade.config.ts, when one was found. */
  projectFile?: string;
};

/** `cascade.config.ts`: project defaults; every field is optional. */
export interface ProjectConfig {
  backend?: (typeof BACKENDS)[number];
  /**
   * Threads that the native backend gives one op (TensorFlow's intra-op threads). Unset, TensorFlow
   * uses one per core. One thread trained the 12-nets 1.6 to 1.8 times faster on two cores, because
   * their ops are too small to split. The 24-net trained faster with the default, and the 48-nets'
   * largest op (the LRN gradient) ran half as fast on one thread. TensorFlow reads it once, when the
   * backend loads, so it applies to the whole process.
   */
  threads?: number;
  seed?: number;
  logLevel?: (typeof LOG_LEVELS)[number];
  dataRoot?: string;
  cacheDir?: string;
  runsDir?: string;
  trackers?: TrackerSpec[];
  plugins?: string[];
}

/** An experiment file: which data, which net, which optimizer, how to train. */
export interface ExperimentConfig extends ProjectConfig {
  name: string;
  description?: string;
  data: {
    sources: SourceSpec[];
    augmenters: AugmenterSpec[];
  };
  model: ModelSpec;
  optimizer?: OptimizerSpec;
  train?: TrainConfig;
}
