import { CascadeError } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import { type MlflowClient, MlflowRequestError } from './client.js';
import type { Experiment } from './rest-types.js';
import type { RetryPolicy } from './retry.js';

/** Action for an experiment that exists but was deleted (MLflow keeps it in its trash until purged). */
export type DeletedExperimentAction = 'restore' | 'fail';

/**
 * Returns the id of the experiment with this name, creating it if missing. A deleted experiment is
 * restored or rejected, as `onDeleted` sets. When another process creates the same experiment at
 * the same time, MLflow rejects the second create with RESOURCE_ALREADY_EXISTS, so the name is
 * looked up again.
 */
export async function resolveExperimentId(
  client: MlflowClient,
  name: string,
  options: { onDeleted: DeletedExperimentAction; logger: Logger; retry?: RetryPolicy },
): Promise<string> {
  const existing = await client.getExperimentByName(name, options.retry);
  if (existing) {
    return useExisting(client, existing, options);
  }

  try {
    const id = await client.createExperiment(name, options.retry);
    options.logger.info(`mlflow: created experiment "${name}" (id ${id}) at ${client.trackingUri}`);
    return id;
  } catch (error) {
    if (!(error instanceof MlflowRequestError && error.errorCode === 'RESOURCE_ALREADY_EXISTS')) {
      throw error;
    }
  }

  const created = await client.getExperimentByName(name, options.retry);
  if (!created) {
    throw new CascadeError(
      `MLflow rejected creating experiment "${name}" as already existing, but no experiment of that name was found at ${client.trackingUri}. Retry the run.`,
    );
  }
  return useExisting(client, created, options);
}

async function useExisting(
  client: MlflowClient,
  experiment: Experiment,
  options: { onDeleted: DeletedExperimentAction; logger: Logger; retry?: RetryPolicy },
): Promise<string> {
  if (experiment.lifecycle_stage !== 'deleted') {
    return experiment.experiment_id;
  }
  if (options.onDeleted === 'fail') {
    throw new CascadeError(
      `MLflow experiment "${experiment.name}" (id ${experiment.experiment_id}) at ${client.trackingUri} is deleted. ` +
        'Restore it in the MLflow UI, purge it with `mlflow gc`, pick another experiment name, or set deletedExperiment: "restore" on the mlflow tracker.',
    );
  }
  await client.restoreExperiment(experiment.experiment_id, options.retry);
  options.logger.warn(
    `mlflow: experiment "${experiment.name}" (id ${experiment.experiment_id}) was deleted; restored it to log this run.`,
  );
  return experiment.experiment_id;
}
