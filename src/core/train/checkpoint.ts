import fs from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CascadeError } from '../errors.js';
import { writeDirAtomic, writeFileAtomic } from './atomic-write.js';
import { readModel, toArrayBuffer, writeModel } from './model-files.js';
import { RUN_FILES } from './run-dir.js';

const LATEST_FILE = 'latest.json';
const STATE_FILE = 'state.json';
const OPTIMIZER_SPECS_FILE = 'optimizer.json';
const OPTIMIZER_WEIGHTS_FILE = 'optimizer.bin';
/** Older checkpoints beyond this many are deleted after a new one is written. */
const CHECKPOINTS_KEPT = 2;

/** Validation metrics of one finished epoch. */
export interface EpochRecord {
  epoch: number;
  metrics: Record<string, number>;
}

/** Training progress: enough to continue after a kill. */
export interface TrainState {
  /** Epoch in progress, 0-based. */
  epoch: number;
  /** Steps of that epoch already trained. */
  stepInEpoch: number;
  /** Steps trained since the start of the run. */
  globalStep: number;
  /** Sums over the steps of the epoch in progress, for its mean training loss and accuracy. */
  epochLossSum: number;
  epochCorrect: number;
  epochSamples: number;
  history: EpochRecord[];
  bestValue?: number;
  /** 1-based epoch of `bestValue`. */
  bestEpoch?: number;
  epochsWithoutImprovement: number;
  stopReason?: string;
}

export function initialTrainState(): TrainState {
  return {
    epoch: 0,
    stepInEpoch: 0,
    globalStep: 0,
    epochLossSum: 0,
    epochCorrect: 0,
    epochSamples: 0,
    history: [],
    epochsWithoutImprovement: 0,
  };
}

function checkpointName(globalStep: number): string {
  return `step-${String(globalStep).padStart(9, '0')}`;
}

/**
 * Writes a checkpoint (model weights, optimizer slots, state) into `checkpoints/step-N` atomically,
 * then points `checkpoints/latest.json` at it and deletes older checkpoints. A kill at any moment
 * leaves `latest.json` naming a complete checkpoint.
 */
export async function saveCheckpoint(
  runDir: string,
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  state: TrainState,
): Promise<string> {
  const root = path.join(runDir, RUN_FILES.checkpoints);
  const name = checkpointName(state.globalStep);
  const optimizerWeights = await optimizer.getWeights();
  const encoded = await tf.io.encodeWeights(optimizerWeights);
  // getWeights returns the optimizer's own slot variables, which stay alive, and new tensors: the
  // iteration count, and the slots that the native Adadelta reads out of TensorFlow resources.
  tf.dispose(
    optimizerWeights.filter((weight) => !(weight.tensor instanceof tf.Variable)).map((weight) => weight.tensor),
  );

  await writeDirAtomic(path.join(root, name), async (dir) => {
    await writeModel(model, dir);
    await fs.writeFile(
      path.join(dir, OPTIMIZER_WEIGHTS_FILE),
      new Uint8Array(tf.io.CompositeArrayBuffer.join(encoded.data)),
    );
    await fs.writeFile(path.join(dir, OPTIMIZER_SPECS_FILE), `${JSON.stringify(encoded.specs)}\n`);
    await fs.writeFile(path.join(dir, STATE_FILE), `${JSON.stringify(state)}\n`);
  });
  await writeFileAtomic(path.join(root, LATEST_FILE), `${JSON.stringify({ checkpoint: name })}\n`);

  const older = (await fs.readdir(root)).filter((entry) => entry.startsWith('step-') && entry < name).sort();
  for (const entry of older.slice(0, Math.max(0, older.length - (CHECKPOINTS_KEPT - 1)))) {
    await fs.rm(path.join(root, entry), { recursive: true, force: true });
  }
  return path.join(root, name);
}

/** Finds the newest complete checkpoint of a run; undefined when it has none. */
export async function findCheckpoint(runDir: string): Promise<string | undefined> {
  const root = path.join(runDir, RUN_FILES.checkpoints);
  try {
    const { checkpoint } = JSON.parse(await fs.readFile(path.join(root, LATEST_FILE), 'utf8')) as {
      checkpoint: string;
    };
    return path.join(root, checkpoint);
  } catch {
    return undefined;
  }
}

/** Loads a checkpoint's weights into `model` and `optimizer` and returns its state. */
export async function restoreCheckpoint(
  dir: string,
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
): Promise<TrainState> {
  try {
    const saved = await readModel(dir);
    const weights = saved.getWeights();
    model.setWeights(weights);
    saved.dispose();

    const specs = JSON.parse(
      await fs.readFile(path.join(dir, OPTIMIZER_SPECS_FILE), 'utf8'),
    ) as tf.io.WeightsManifestEntry[];
    const data = toArrayBuffer(await fs.readFile(path.join(dir, OPTIMIZER_WEIGHTS_FILE)));
    const decoded = tf.io.decodeWeights(data, specs);
    // Optimizer slots are matched to variables by position, so keep the saved order.
    await optimizer.setWeights(specs.map((spec) => ({ name: spec.name, tensor: decoded[spec.name] as tf.Tensor })));
    tf.dispose(Object.values(decoded));

    return JSON.parse(await fs.readFile(path.join(dir, STATE_FILE), 'utf8')) as TrainState;
  } catch (error) {
    throw new CascadeError(
      `Failed to restore the checkpoint ${dir}: ${(error as Error).message}. ` +
        'Delete the folder to fall back to the previous checkpoint, or start a new run without --resume.',
      { cause: error },
    );
  }
}
