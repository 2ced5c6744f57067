import type { DependencyContainer } from 'tsyringe';
import { CascadeError } from '../errors.js';

export interface RunExperimentOptions {
  container: DependencyContainer;
  /** Continue the latest run of this experiment from its last checkpoint. */
  resume?: boolean;
  runName?: string;
}

/** Builds the samples, trains the net and saves the weights. */
export async function runExperiment(_options: RunExperimentOptions): Promise<string> {
  // TODO: the training loop is not written yet.
  throw new CascadeError('Training is not implemented yet.');
}
