import fs from 'node:fs/promises';
import path from 'node:path';
import { artifactRootOf } from '../../plugins/trackers/mlflow/artifact-paths.js';
import { MlflowClient, MlflowRequestError } from '../../plugins/trackers/mlflow/client.js';
import { readCredentials } from '../../plugins/trackers/mlflow/credentials.js';
import { CascadeError } from '../errors.js';
import type { Logger } from '../logger.js';
import { MODEL_JSON, WEIGHTS_BIN } from '../train/model-files.js';
import { RUN_FILES } from '../train/run-dir.js';

/** Prefix of a run reference that names an MLflow run id instead of a local run directory. */
export const MLFLOW_PREFIX = 'mlflow:';

// Artifact paths of a training run. The trackers upload the `model` folder under the artifact path
// `model`, so its files land in `model/model/`, and the resolved config goes to `config/`.
const MODEL_ARTIFACT_DIR = 'model/model';
const CONFIG_ARTIFACT = 'config/resolved-config.json';

export interface FetchMlflowRunOptions {
  /** Tracking server, such as http://127.0.0.1:5000; defaults to MLFLOW_TRACKING_URI. */
  trackingUri?: string;
  /** Downloads go to `<cacheDir>/mlflow/<run id>/`, laid out as a local run directory. */
  cacheDir: string;
  logger: Logger;
}

/**
 * Downloads the final model and resolved config of an MLflow training run into a local run
 * directory that `loadTrainedNet` reads. Runs need the `mlflow-artifacts` proxy
 * (`mlflow server --serve-artifacts`). Returns the local directory.
 */
export async function fetchMlflowRun(runId: string, options: FetchMlflowRunOptions): Promise<string> {
  const trackingUri = options.trackingUri ?? process.env.MLFLOW_TRACKING_URI;
  if (!trackingUri) {
    throw new CascadeError(
      `Cannot load MLflow run ${runId}: no tracking server. Set MLFLOW_TRACKING_URI, such as http://127.0.0.1:5000.`,
    );
  }
  const client = new MlflowClient({ trackingUri, credentials: readCredentials(), logger: options.logger });
  try {
    const run = await client.getRun(runId);
    const root = artifactRootOf(run.info.artifact_uri);
    if (root === undefined) {
      throw new CascadeError(
        `MLflow run ${runId} stores artifacts at "${run.info.artifact_uri}", which the REST API cannot read; ` +
          'start the server with --serve-artifacts.',
      );
    }
    const directory = path.join(options.cacheDir, 'mlflow', runId);
    const download = async (artifact: string): Promise<Buffer | undefined> => {
      try {
        return await client.downloadArtifact(`${root}/${artifact}`);
      } catch (error) {
        if (error instanceof MlflowRequestError && error.status === 404) {
          return undefined;
        }
        throw error;
      }
    };

    await fs.mkdir(path.join(directory, RUN_FILES.model), { recursive: true });
    for (const file of [MODEL_JSON, WEIGHTS_BIN]) {
      const bytes = await download(`${MODEL_ARTIFACT_DIR}/${file}`);
      if (!bytes) {
        throw new CascadeError(
          `MLflow run ${runId} has no artifact "${MODEL_ARTIFACT_DIR}/${file}"; only finished training runs logged by cascade can be loaded.`,
        );
      }
      await fs.writeFile(path.join(directory, RUN_FILES.model, file), bytes);
    }

    // Child runs of a cascade log no config; their `model` or `net` tag names the net instead.
    let config = await download(CONFIG_ARTIFACT);
    if (!config) {
      const tags = new Map((run.data.tags ?? []).map((tag) => [tag.key, tag.value]));
      const type = tags.get('model') ?? tags.get('net');
      if (!type) {
        throw new CascadeError(
          `MLflow run ${runId} has neither "${CONFIG_ARTIFACT}" nor a "model" tag naming its net.`,
        );
      }
      config = Buffer.from(`${JSON.stringify({ model: { type } })}\n`);
    }
    await fs.writeFile(path.join(directory, RUN_FILES.config), config);
    return directory;
  } finally {
    await client.close();
  }
}
