import fs from 'node:fs/promises';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { CascadeError } from '../errors.js';
import type { Logger } from '../logger.js';
import { loadTrainedNet } from '../train/artifacts.js';
import type { CascadeNets } from './cascade-detector.js';
import type { DetectorOptions } from './detector-options.js';

/** File in a cascade run directory that names the run of each net and the chosen detector options. */
export const CASCADE_MANIFEST = 'cascade.json';

/** Net slots of the cascade, by the model plugin type each run was trained with. */
export const NET_SLOTS = ['net12', 'calib12', 'net24', 'calib24', 'net48', 'calib48'] as const;
export type NetSlot = (typeof NET_SLOTS)[number];

/** Contents of `cascade.json`. */
export interface CascadeManifest {
  /** Run directory of each trained net, relative to the manifest's directory. */
  nets: Partial<Record<NetSlot, string>>;
  /** Detector options picked while training, such as the 99% and 97% recall thresholds. */
  detector: DetectorOptions;
  /** MLflow run id of each net, when an MLflow tracker recorded them. */
  mlflowRunIds?: Partial<Record<NetSlot, string>>;
}

/** The nets of a cascade with the detector options saved next to them. */
export interface LoadedCascade {
  nets: CascadeNets;
  detector: DetectorOptions;
  /** Run directory of each loaded net. */
  runDirs: Partial<Record<NetSlot, string>>;
  dispose(): void;
}

function isSlot(value: unknown): value is NetSlot {
  return typeof value === 'string' && (NET_SLOTS as readonly string[]).includes(value);
}

async function readManifest(directory: string): Promise<CascadeManifest | undefined> {
  const file = path.join(directory, CASCADE_MANIFEST);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as CascadeManifest;
  } catch (error) {
    throw new CascadeError(`Invalid JSON in ${file}; rerun experiments/cascade.ts to write it again.`, {
      cause: error,
    });
  }
}

export interface LoadCascadeOptions {
  /** Relative run directories resolve against this directory. */
  projectDir?: string;
  /** Download folder for `mlflow:<run id>` references; `.cascade/cache` by default. */
  cacheDir?: string;
  logger?: Logger;
}

/**
 * Loads the nets of a cascade from run references: a cascade run directory (with `cascade.json`,
 * which names all six nets), single training runs, or `mlflow:<run id>` for a training run on the
 * MLflow server of MLFLOW_TRACKING_URI. Each single run is placed by the model type it was trained
 * as (`net12`, `calib12`, ...), and later references replace earlier ones for the same net.
 */
export async function loadCascade(
  references: readonly string[],
  options: LoadCascadeOptions = {},
): Promise<LoadedCascade> {
  if (references.length === 0) {
    throw new CascadeError(
      'Missing --model: pass a cascade run directory such as runs/cascade/latest, the run of one net, or mlflow:<run id>.',
    );
  }
  const models: Partial<Record<NetSlot, tf.LayersModel>> = {};
  const runDirs: Partial<Record<NetSlot, string>> = {};
  let detector: DetectorOptions = {};
  const dispose = () => {
    for (const model of Object.values(models)) {
      model?.dispose();
    }
  };

  try {
    for (const reference of references) {
      const directory = path.resolve(options.projectDir ?? '.', reference);
      const manifest = await readManifest(directory);
      if (manifest) {
        detector = { ...detector, ...manifest.detector };
        for (const [slot, runDir] of Object.entries(manifest.nets)) {
          if (isSlot(slot) && runDir) {
            await place(slot, path.resolve(directory, runDir));
          }
        }
        continue;
      }
      const trained = await loadTrainedNet(reference, options);
      const type = (trained.config.model as { type?: unknown }).type;
      if (!isSlot(type)) {
        trained.model.dispose();
        throw new CascadeError(
          `The run ${trained.runDir} trained a model of type "${String(type)}", which is not a net of the cascade (${NET_SLOTS.join(', ')}).`,
        );
      }
      models[type]?.dispose();
      models[type] = trained.model;
      runDirs[type] = trained.runDir;
    }
  } catch (error) {
    dispose();
    throw error;
  }

  const { net12, calib12, net24, calib24, net48, calib48 } = models;
  if (!net12) {
    dispose();
    throw new CascadeError(
      `No 12-net among the runs ${references.join(', ')}: pass a cascade run (with ${CASCADE_MANIFEST}) or a run of experiments/12net.ts.`,
    );
  }
  return { nets: { net12, calib12, net24, calib24, net48, calib48 }, detector, runDirs, dispose };

  async function place(slot: NetSlot, runDir: string): Promise<void> {
    const trained = await loadTrainedNet(runDir, { projectDir: options.projectDir });
    models[slot]?.dispose();
    models[slot] = trained.model;
    runDirs[slot] = trained.runDir;
  }
}
