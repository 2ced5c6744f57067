import path from 'node:path';
import { z } from 'zod';
import { CascadeError } from '../../../core/errors.js';
import { definePlugin } from '../../../core/registry.js';
import { MlflowClient } from './client.js';
import { readCredentials, redactUri } from './credentials.js';
import { flattenParams } from './flatten.js';
import { MlflowTracker } from './mlflow-tracker.js';

export { MlflowClient, MlflowRequestError } from './client.js';
export { endRunsOnSignal } from './end-on-signal.js';
export { flattenParams } from './flatten.js';
export { MlflowTracker } from './mlflow-tracker.js';

const DEFAULT_FLUSH_INTERVAL_MS = 5_000;
const DEFAULT_MAX_BUFFERED_METRICS = 100_000;
const DEFAULT_END_TIMEOUT_MS = 120_000;

/** Options of the `mlflow` tracker (`trackers: [{ type: 'mlflow', ... }]`). */
export const mlflowOptions = z
  .object({
    /** Base URL of the tracking server; `MLFLOW_TRACKING_URI` when unset. */
    trackingUri: z.string().url().optional(),
    /** Experiment name in MLflow; the experiment's `name` when unset. */
    experiment: z.string().min(1).max(500).optional(),
    /** Milliseconds between sends of buffered metrics. */
    flushIntervalMs: z.number().int().positive().default(DEFAULT_FLUSH_INTERVAL_MS),
    /** Metrics held in memory while the server is unreachable; the rest spill to a file in the run directory. */
    maxBufferedMetrics: z.number().int().positive().default(DEFAULT_MAX_BUFFERED_METRICS),
    /** Milliseconds that ending a run waits for an unreachable server before giving up. */
    endTimeoutMs: z.number().int().nonnegative().default(DEFAULT_END_TIMEOUT_MS),
    /** PEM file of the CA that signs the server's certificate; `MLFLOW_TRACKING_SERVER_CERT_PATH` when unset. */
    caFile: z.string().min(1).optional(),
    /** Log the flattened resolved config as params and the config itself as an artifact. */
    logConfig: z.boolean().default(true),
    /** Action for an experiment deleted in MLflow: restore it, or fail the run. */
    deletedExperiment: z.enum(['restore', 'fail']).default('restore'),
  })
  .strict();

declare module '../../../core/config/plugin-types.js' {
  interface TrackerTypes {
    mlflow: z.input<typeof mlflowOptions>;
  }
}

/** The `mlflow` tracker plugin: logs runs to an MLflow tracking server over REST. */
export const mlflowTrackerPlugin = definePlugin({
  kind: 'tracker',
  type: 'mlflow',
  description: 'Logs params, metrics, artifacts and dataset inputs to an MLflow tracking server over its REST API.',
  options: mlflowOptions,
  create(options, context) {
    const trackingUri = options.trackingUri ?? process.env.MLFLOW_TRACKING_URI;
    if (!trackingUri) {
      throw new CascadeError(
        'The mlflow tracker has no tracking URI: set trackingUri in its config entry or MLFLOW_TRACKING_URI, such as http://127.0.0.1:5000.',
      );
    }
    const caFile = options.caFile ?? process.env.MLFLOW_TRACKING_SERVER_CERT_PATH;
    const client = new MlflowClient({
      trackingUri,
      credentials: readCredentials(),
      caFile: caFile ? path.resolve(context.runtime.projectDir, caFile) : undefined,
      logger: context.logger,
    });
    const { file, projectFile, ...config } = context.config;
    // A user name and password written into a tracking URI in the config must not become params.
    const trackers = config.trackers.map((spec) =>
      typeof spec.trackingUri === 'string' ? { ...spec, trackingUri: redactUri(spec.trackingUri) } : spec,
    );
    const loggedConfig = { ...config, trackers };

    return new MlflowTracker({
      client,
      logger: context.logger,
      experiment: options.experiment ?? config.name,
      flushIntervalMs: options.flushIntervalMs,
      maxBufferedMetrics: options.maxBufferedMetrics,
      endTimeoutMs: options.endTimeoutMs,
      deletedExperiment: options.deletedExperiment,
      params: options.logConfig ? flattenParams(loggedConfig) : undefined,
      resolvedConfig: options.logConfig ? loggedConfig : undefined,
      sourceName: file ?? process.argv[1] ?? 'cascade',
      sourceDir: context.runtime.projectDir,
    });
  },
});
