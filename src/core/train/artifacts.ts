import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { ResolvedConfig } from '../config/schema.js';
import { fetchMlflowRun, MLFLOW_PREFIX } from '../detect/mlflow-run.js';
import { CascadeError } from '../errors.js';
import { Logger } from '../logger.js';
import type { ModelTask } from '../model.js';
import { MODEL_JSON, readModel } from './model-files.js';
import { LATEST_LINK, listRunIds, RUN_FILES, readSummary } from './run-dir.js';

export interface LoadTrainedNetOptions {
  /** Relative run directories resolve against the working directory, then against this one. */
  projectDir?: string;
  /** Folder for runs fetched from MLflow, `<projectDir>/.cascade/cache` by default. */
  cacheDir?: string;
  /** Receives the MLflow client's retry warnings. */
  logger?: Logger;
}

/** A trained net read back from its run directory. */
export interface TrainedNet {
  model: tf.LayersModel;
  config: ResolvedConfig;
  task: ModelTask;
  /** Input side in pixels, read from the model's input shape. */
  inputSize: number;
  runDir: string;
}

/**
 * Loads the final weights and resolved config of a training run. `runDirOrId` is a run directory
 * (`runs/12net/20261204-201500-ab12`), its experiment's `latest` link (`runs/12net/latest`), or an
 * experiment folder (`runs/12net`), which means its newest finished run, or `mlflow:<run id>`, whose
 * model and config are downloaded from the tracking server in MLFLOW_TRACKING_URI first.
 */
export async function loadTrainedNet(runDirOrId: string, options: LoadTrainedNetOptions = {}): Promise<TrainedNet> {
  const runDir = runDirOrId.startsWith(MLFLOW_PREFIX)
    ? await fetchMlflowRun(runDirOrId.slice(MLFLOW_PREFIX.length), {
        cacheDir: options.cacheDir ?? path.resolve(options.projectDir ?? '.', '.cascade/cache'),
        logger: options.logger ?? new Logger({ level: 'warn' }),
      })
    : await resolveRunDir(runDirOrId, options.projectDir);
  const config = JSON.parse(await fsp.readFile(path.join(runDir, RUN_FILES.config), 'utf8')) as ResolvedConfig;
  const model = await readModel(path.join(runDir, RUN_FILES.model));

  const inputShape = model.inputs[0]?.shape;
  const classes = model.outputs[0]?.shape.at(-1);
  const inputSize = inputShape?.[1];
  if (typeof inputSize !== 'number' || typeof classes !== 'number') {
    model.dispose();
    throw new CascadeError(
      `The model in ${runDir} has no fixed input size or class count; it was not saved by cascade.`,
    );
  }
  const task: ModelTask = classes === 2 ? 'detection' : 'calibration';
  return { model, config, task, inputSize, runDir };
}

/** Resolves a run reference to a run directory that holds a final model. */
export async function resolveRunDir(reference: string, projectDir?: string): Promise<string> {
  const candidates = [path.resolve(reference)];
  if (projectDir && !path.isAbsolute(reference)) {
    candidates.push(path.resolve(projectDir, reference));
  }

  for (const candidate of candidates) {
    if (hasModel(candidate)) {
      return fs.realpathSync(candidate);
    }
    // An experiment folder, or a `latest` link that is missing: take the newest finished run.
    const experimentDir = path.basename(candidate) === LATEST_LINK ? path.dirname(candidate) : candidate;
    if (fs.existsSync(experimentDir) && fs.statSync(experimentDir).isDirectory()) {
      const newest = await newestFinishedRun(experimentDir);
      if (newest) {
        return newest;
      }
    }
  }
  throw new CascadeError(
    `Trained run "${reference}" not found: no ${RUN_FILES.model}/${MODEL_JSON} in ${candidates.join(' or ')}. ` +
      'Pass a finished run directory such as runs/12net/latest (train it first with cascade exp experiments/12net.ts), ' +
      `or ${MLFLOW_PREFIX}<run id> for a run tracked in MLflow.`,
  );
}

async function newestFinishedRun(experimentDir: string): Promise<string | undefined> {
  const ids = await listRunIds(experimentDir);
  for (const id of ids.reverse()) {
    const runDir = path.join(experimentDir, id);
    const summary = await readSummary(runDir);
    if (summary?.status === 'FINISHED' && hasModel(runDir)) {
      return runDir;
    }
  }
  return undefined;
}

function hasModel(runDir: string): boolean {
  return fs.existsSync(path.join(runDir, RUN_FILES.model, MODEL_JSON));
}
