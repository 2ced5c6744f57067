import * as tf from '@tensorflow/tfjs';
import type { InitializerName } from '../../core/config/train-schema.js';
import type { Model, ModelTask } from '../../core/model.js';
import type { Architecture } from './architectures.js';
import { applyOutput, applyTrunk, cropInput } from './trunk.js';

export interface SingleNetOptions {
  name: string;
  task: ModelTask;
  architecture: Architecture;
  numClasses: number;
  initializer: InitializerName;
  seed: number;
}

/**
 * A net without frozen branches (12-net and the three calibration nets): `input`, the trunk
 * (`conv1`, `pool1`, ..., `flatten`, `fc1`) and the softmax `output`.
 */
export class SingleNet implements Model {
  readonly name: string;
  readonly task: ModelTask;
  readonly inputSize: number;
  readonly numClasses: number;
  readonly #options: SingleNetOptions;

  constructor(options: SingleNetOptions) {
    this.name = options.name;
    this.task = options.task;
    this.inputSize = options.architecture.inputSize;
    this.numClasses = options.numClasses;
    this.#options = options;
  }

  async build(): Promise<tf.LayersModel> {
    const { architecture, initializer, seed } = this.#options;
    const input = cropInput(architecture.inputSize);
    const features = applyTrunk(input, {
      prefix: '',
      layers: architecture.trunk,
      fcUnits: architecture.fcUnits,
      initializer,
      seed,
    });
    const output = applyOutput(features, this.numClasses, initializer, seed + 100);
    return tf.model({ name: this.name, inputs: input, outputs: output });
  }
}
