import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { InitializerName } from '../../core/config/train-schema.js';
import { CascadeError } from '../../core/errors.js';
import type { Model } from '../../core/model.js';
import { loadTrainedNet } from '../../core/train/artifacts.js';
import { type Architecture, DETECTION_CLASSES } from './architectures.js';
import { applyBranches, branchPrefix, copyFrozenWeights } from './frozen-branch.js';
import { applyOutput, applyTrunk, cropInput } from './trunk.js';

export interface MultiResolutionNetOptions {
  name: string;
  architecture: Architecture;
  /** The frozen earlier nets, largest first: [NET12] for the 24-net, [NET24, NET12] for the 48-net. */
  chain: readonly Architecture[];
  /** Run directory or run id of the trained net named by `chain[0]`. */
  trainedRun: string;
  /** Relative run directories resolve against this directory. */
  projectDir: string;
  /** Folder for frozen runs fetched from MLflow. */
  cacheDir: string;
  initializer: InitializerName;
  seed: number;
}

/**
 * A detection net that concatenates its own `fc1` with the `fc1` features of the earlier, frozen
 * nets computed on downscaled copies of its input (Li et al., CVPR 2015, multi-resolution design).
 * Layers: `input`, own trunk, branches prefixed `net12_` / `net24_`, `concat`, `output`.
 */
export class MultiResolutionNet implements Model {
  readonly name: string;
  readonly task = 'detection' as const;
  readonly inputSize: number;
  readonly numClasses = DETECTION_CLASSES;
  readonly #options: MultiResolutionNetOptions;

  constructor(options: MultiResolutionNetOptions) {
    this.name = options.name;
    this.inputSize = options.architecture.inputSize;
    this.#options = options;
  }

  async build(): Promise<tf.LayersModel> {
    const { architecture, chain, initializer, seed } = this.#options;
    const frozen = chain[0];
    if (!frozen) {
      throw new CascadeError(`The multi-resolution net "${this.name}" needs at least one earlier net.`);
    }
    const trained = await this.#loadEarlierNet(frozen);

    const input = cropInput(architecture.inputSize);
    const own = applyTrunk(input, {
      prefix: '',
      layers: architecture.trunk,
      fcUnits: architecture.fcUnits,
      initializer,
      seed,
    });
    const branches = applyBranches(input, chain, initializer, seed);
    const joined = tf.layers.concatenate({ name: 'concat' }).apply([own, ...branches]) as tf.SymbolicTensor;
    const output = applyOutput(joined, this.numClasses, initializer, seed + 100);
    const model = tf.model({ name: this.name, inputs: input, outputs: output });

    try {
      copyFrozenWeights(model, trained, branchPrefix(frozen));
    } finally {
      trained.dispose();
    }
    return model;
  }

  async #loadEarlierNet(frozen: Architecture): Promise<tf.LayersModel> {
    const reference = this.#options.trainedRun;
    const loaded = await loadTrainedNet(reference, {
      projectDir: this.#options.projectDir,
      cacheDir: this.#options.cacheDir,
    });
    if (loaded.task !== 'detection' || loaded.inputSize !== frozen.inputSize) {
      loaded.model.dispose();
      throw new CascadeError(
        `The ${this.name} needs a trained ${frozen.inputSize}x${frozen.inputSize} detection net, but the run ` +
          `${path.relative(process.cwd(), loaded.runDir) || loaded.runDir} holds a ${loaded.inputSize}x${loaded.inputSize} ` +
          `${loaded.task} net; point the model option at a run of experiments/${frozen.inputSize}net.ts.`,
      );
    }
    return loaded.model;
  }
}
