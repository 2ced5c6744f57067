import type { ExperimentConfig, ProjectConfig } from './schema.js';

/** Returns its argument, typed, so that `experiments/*.ts` are checked by the compiler. */
export function defineExperiment(config: ExperimentConfig): ExperimentConfig {
  return config;
}

/** Returns its argument, typed, for `cascade.config.ts`. */
export function defineProject(config: ProjectConfig): ProjectConfig {
  return config;
}
