import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../../src/core/backend.js';
import { Logger } from '../../../src/core/logger.js';
import type { Model } from '../../../src/core/model.js';
import { writeModel } from '../../../src/core/train/model-files.js';
import { createNativePredictor } from '../../../src/core/train/native-net.js';
import { NativeOps } from '../../../src/core/train/native-ops.js';
import { createNativeTrainStep } from '../../../src/core/train/native-train-step.js';
import {
  type Architecture,
  CALIB12,
  CALIB24,
  CALIB48,
  NET12,
  NET24,
  NET48,
} from '../../../src/plugins/models/architectures.js';
import { MultiResolutionNet } from '../../../src/plugins/models/multi-resolution-net.js';
import { SingleNet } from '../../../src/plugins/models/single-net.js';
import { AdadeltaOptimizer } from '../../../src/plugins/optimizers/adadelta-optimizer.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

/** Keeps a copy of the gradients it gets instead of applying them. */
class GradientRecorder extends tf.Optimizer {
  static get className(): string {
    return 'GradientRecorder';
  }
  readonly gradients = new Map<string, tf.Tensor>();

  applyGradients(gradients: tf.NamedTensorMap | Array<{ name: string; tensor: tf.Tensor }>): void {
    const entries = Array.isArray(gradients)
      ? gradients.map(({ name, tensor }) => [name, tensor] as const)
      : Object.entries(gradients);
    for (const [name, gradient] of entries) {
      this.gradients.get(name)?.dispose();
      this.gradients.set(name, tf.keep(tf.clone(gradient as tf.Tensor)));
    }
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {};
  }
}

const COMMON = { initializer: 'glorotUniform' as const, seed: 3 };

/** Builds each net as bench/train.ts does; the 24- and 48-nets freeze a freshly built earlier net. */
async function buildNet(name: string, dir: string): Promise<Model> {
  const single: Record<string, Architecture> = { net12: NET12, calib12: CALIB12, calib24: CALIB24, calib48: CALIB48 };
  const architecture = single[name];
  if (architecture) {
    const task = name.startsWith('calib') ? 'calibration' : 'detection';
    return new SingleNet({ name, task, architecture, numClasses: task === 'detection' ? 2 : 45, ...COMMON });
  }
  const earlier = await buildNet(name === 'net24' ? 'net12' : 'net24', dir);
  const runDir = path.join(dir, earlier.name);
  const built = await earlier.build();
  fs.mkdirSync(path.join(runDir, 'model'), { recursive: true });
  await writeModel(built, path.join(runDir, 'model'));
  built.dispose();
  fs.writeFileSync(path.join(runDir, 'config.json'), '{}');
  return new MultiResolutionNet({
    name,
    architecture: name === 'net24' ? NET24 : NET48,
    chain: name === 'net24' ? [NET12] : [NET24, NET12],
    trainedRun: runDir,
    cacheDir: dir,
    projectDir: dir,
    ...COMMON,
  });
}

/** Creates a batch of random crops with one-hot labels that cover every class. */
function batch(net: Model, size: number): { x: tf.Tensor; y: tf.Tensor; labels: Int32Array } {
  const labels = Int32Array.from({ length: size }, (_, index) => (index * 7) % net.numClasses);
  return {
    x: tf.randomUniform([size, net.inputSize, net.inputSize, 3], 0, 1, 'float32', 11),
    y: tf.oneHot(tf.tensor1d(labels, 'int32'), net.numClasses).toFloat(),
    labels,
  };
}

/** Largest absolute difference, relative to the largest absolute value of the reference. */
function relativeError(actual: tf.Tensor, expected: tf.Tensor): number {
  return tf.tidy(() => {
    const scale = Math.max(tf.max(tf.abs(expected)).dataSync()[0] as number, 1e-12);
    return (tf.max(tf.abs(tf.sub(actual, expected))).dataSync()[0] as number) / scale;
  });
}

describe('createNativeTrainStep', () => {
  let dir: string;
  before(async () => {
    await selectBackend('tensorflow', new Logger({ level: 'silent' }));
    dir = makeTempDir();
  });

  for (const name of ['net12', 'calib12', 'net24', 'calib24', 'net48', 'calib48']) {
    it(`gives the gradients of tfjs's automatic differentiation for ${name}`, async () => {
      const net = await buildNet(name, dir);
      const model = await net.build();
      const weightDecay = 0.001;
      const { x, y, labels } = batch(net, 16);
      const trainable = model.trainableWeights.map((weight) => weight.read() as tf.Variable);
      const kernels = model.trainableWeights
        .filter((weight) => weight.originalName.endsWith('/kernel'))
        .map((weight) => weight.read());

      const expected = tf.tidy(() =>
        tf.variableGrads(() => {
          const probabilities = model.apply(x, { training: true }) as tf.Tensor;
          const loss = tf.neg(tf.mean(tf.sum(tf.mul(y, tf.log(probabilities)), -1)));
          const penalty = tf.addN(kernels.map((kernel) => tf.sum(tf.square(kernel))));
          return tf.add(loss, tf.mul(penalty, weightDecay)) as tf.Scalar;
        }, trainable),
      );

      const recorder = new GradientRecorder();
      const step = createNativeTrainStep(model, recorder, { weightDecay });
      assert.equal(typeof step, 'function', `the native step refused ${name}: ${String(step)}`);
      const result = (step as Exclude<typeof step, string>)(x, y, labels);

      const expectedLoss = expected.value.dataSync()[0] as number;
      assert.ok(Math.abs(result.loss - expectedLoss) < 1e-4, `loss ${result.loss}, expected ${expectedLoss}`);
      assert.deepEqual(
        [...recorder.gradients.keys()],
        trainable.map((variable) => variable.name),
      );
      for (const variable of trainable) {
        const actual = recorder.gradients.get(variable.name) as tf.Tensor;
        const reference = expected.grads[variable.name] as tf.Tensor;
        assert.deepEqual(actual.shape, reference.shape, variable.name);
        const error = relativeError(actual, reference);
        assert.ok(error < 1e-3, `${name} ${variable.name}: relative error ${error}`);
      }
      const frozen = model.weights.filter((weight) => weight.originalName.startsWith('net'));
      assert.equal(frozen.length > 0, name === 'net24' || name === 'net48');
      for (const weight of frozen) {
        assert.ok(!recorder.gradients.has((weight.read() as tf.Variable).name), `frozen ${weight.originalName}`);
      }

      tf.dispose([x, y, expected.value, ...Object.values(expected.grads), ...recorder.gradients.values()]);
      model.dispose();
    });
  }

  it('falls back, with a reason, for a layer it has no gradient for', () => {
    const input = tf.input({ shape: [12, 12, 3] });
    const hidden = tf.layers.batchNormalization().apply(tf.layers.flatten().apply(input)) as tf.SymbolicTensor;
    const output = tf.layers.dense({ units: 2, activation: 'softmax' }).apply(hidden) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: output });
    const step = createNativeTrainStep(model, new GradientRecorder(), { weightDecay: 0 });
    assert.equal(step, 'it has a layer type BatchNormalization ("batch_normalization_BatchNormalization1")');
    model.dispose();
  });

  it('falls back for a dense layer on an image', () => {
    const input = tf.input({ shape: [12, 12, 3] });
    const hidden = tf.layers.dense({ units: 4, name: 'pixels' }).apply(input) as tf.SymbolicTensor;
    const flat = tf.layers.flatten().apply(hidden) as tf.SymbolicTensor;
    const output = tf.layers.dense({ units: 2, activation: 'softmax' }).apply(flat) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: output });
    const step = createNativeTrainStep(model, new GradientRecorder(), { weightDecay: 0 });
    assert.equal(step, 'it has a dense layer "pixels" on an input of rank 4');
    model.dispose();
  });
});

describe('AdadeltaOptimizer on the native backend', () => {
  before(async () => {
    await selectBackend('tensorflow', new Logger({ level: 'silent' }));
  });

  /** Adadelta (Zeiler 2012, algorithm 1) in float64 for one weight vector. */
  function reference(values: number[], gradients: number[][], rate: number, rho: number, epsilon: number): number[] {
    const accumulated = values.map(() => 0);
    const accumulatedUpdate = values.map(() => 0);
    const current = [...values];
    for (const gradient of gradients) {
      for (const [index, g] of gradient.entries()) {
        accumulated[index] = rho * (accumulated[index] as number) + (1 - rho) * g * g;
        const update =
          (Math.sqrt((accumulatedUpdate[index] as number) + epsilon) /
            Math.sqrt((accumulated[index] as number) + epsilon)) *
          g;
        accumulatedUpdate[index] = rho * (accumulatedUpdate[index] as number) + (1 - rho) * update * update;
        current[index] = (current[index] as number) - rate * update;
      }
    }
    return current;
  }

  it('runs on the fused kernel and matches the definition over three steps', () => {
    assert.ok(NativeOps.forActiveBackend(), 'the native ops are available');
    const start = [0.5, -1, 2, 0.25, 3, -0.75];
    const gradients = [
      [0.1, -0.2, 0.3, 1, -2, 0.05],
      [0.2, 0.1, -0.3, 0.5, -1, 0],
      [-0.4, 0.3, 0.1, 0.2, 0.7, -0.05],
    ];
    const variable = tf.variable(tf.tensor2d(start, [2, 3]), true, 'adadelta-test/kernel');
    // A tensor sharing the variable's first value must keep it: the kernel updates a copy.
    const snapshot = tf.clone(variable);
    const optimizer = new AdadeltaOptimizer(0.9, 0.95, 1e-6);
    for (const gradient of gradients) {
      tf.tidy(() => optimizer.applyGradients({ [variable.name]: tf.tensor2d(gradient, [2, 3]) }));
    }
    const expected = reference(start, gradients, 0.9, 0.95, 1e-6);
    const actual = [...variable.dataSync()];
    for (const [index, value] of expected.entries()) {
      assert.ok(Math.abs((actual[index] as number) - value) < 1e-6, `weight ${index}: ${actual[index]} vs ${value}`);
    }
    assert.deepEqual([...snapshot.dataSync()], start);
    optimizer.dispose();
    tf.dispose([variable, snapshot]);
  });

  it('updates weights assigned between steps', () => {
    const variable = tf.variable(tf.tensor1d([1, 2, 3]), true, 'adadelta-assigned/kernel');
    const optimizer = new AdadeltaOptimizer(1, 0.95, 1e-6);
    tf.tidy(() => optimizer.applyGradients({ [variable.name]: tf.tensor1d([0.5, -0.5, 1]) }));
    // A checkpoint restore writes the weights from outside the optimizer.
    variable.assign(tf.tensor1d([10, 20, 30]));
    // A zero gradient moves nothing, so the weights stay as assigned.
    tf.tidy(() => optimizer.applyGradients({ [variable.name]: tf.zeros([3]) }));
    assert.deepEqual([...variable.dataSync()], [10, 20, 30]);
    tf.tidy(() => optimizer.applyGradients({ [variable.name]: tf.tensor1d([1, 1, 1]) }));
    const moved = [...variable.dataSync()];
    for (const [index, value] of moved.entries()) {
      assert.ok(value < [10, 20, 30][index]! && value > [10, 20, 30][index]! - 1, `weight ${index}: ${value}`);
    }
    optimizer.dispose();
    variable.dispose();
  });

  it('saves its slots so that a new optimizer continues where it stopped', async () => {
    const start = [1, -2, 3, 0.5];
    const gradients = [
      [0.3, -0.1, 0.2, 0.4],
      [0.1, 0.2, -0.5, 0.3],
      [0.2, -0.3, 0.1, -0.1],
    ];
    const straight = tf.variable(tf.tensor1d(start), true, 'adadelta-straight/kernel');
    const resumed = tf.variable(tf.tensor1d(start), true, 'adadelta-resumed/kernel');
    const first = new AdadeltaOptimizer(1, 0.95, 1e-6);
    for (const gradient of gradients) {
      tf.tidy(() => first.applyGradients({ [straight.name]: tf.tensor1d(gradient) }));
    }

    const interrupted = new AdadeltaOptimizer(1, 0.95, 1e-6);
    tf.tidy(() => interrupted.applyGradients({ [resumed.name]: tf.tensor1d(gradients[0] as number[]) }));
    const saved = await interrupted.getWeights();
    assert.deepEqual(
      saved.map(({ name }) => name),
      ['iter', 'accum_grad', 'accum_var'],
    );
    const restored = new AdadeltaOptimizer(1, 0.95, 1e-6);
    await restored.setWeights(saved);
    tf.dispose(saved.map(({ tensor }) => tensor));
    interrupted.dispose();
    for (const gradient of gradients.slice(1)) {
      tf.tidy(() => restored.applyGradients({ [resumed.name]: tf.tensor1d(gradient) }));
    }
    const difference = tf.tidy(() => tf.max(tf.abs(tf.sub(straight, resumed))).dataSync()[0] as number);
    assert.ok(difference < 1e-6, `difference ${difference}`);

    const before = tf.memory().numTensors;
    tf.tidy(() => restored.applyGradients({ [resumed.name]: tf.tensor1d(start) }));
    assert.equal(tf.memory().numTensors, before);
    first.dispose();
    restored.dispose();
    tf.dispose([straight, resumed]);
  });
});

describe('createNativePredictor', () => {
  let dir: string;
  before(async () => {
    await selectBackend('tensorflow', new Logger({ level: 'silent' }));
    dir = makeTempDir();
  });

  for (const name of ['net12', 'calib12', 'net24', 'calib24', 'net48', 'calib48']) {
    it(`gives the probabilities of tfjs-layers' predict for ${name}`, async () => {
      const net = await buildNet(name, dir);
      const model = await net.build();
      const predict = createNativePredictor(model);
      assert.equal(typeof predict, 'function', `the native predictor refused ${name}: ${String(predict)}`);
      const x = tf.randomUniform([10, net.inputSize, net.inputSize, 3], 0, 1, 'float32', 5);
      const expected = model.predict(x) as tf.Tensor;
      const before = tf.memory().numTensors;
      const actual = (predict as (input: tf.Tensor) => tf.Tensor)(x);
      assert.equal(tf.memory().numTensors, before + 1, 'only the result stays');
      assert.deepEqual(actual.shape, expected.shape);
      const difference = tf.tidy(() => tf.max(tf.abs(tf.sub(actual, expected))).dataSync()[0] as number);
      assert.ok(difference < 1e-5, `${name}: largest difference ${difference}`);
      // Random crops give probabilities away from 0 and 1 on these untrained nets, so the check has teeth.
      const spread = tf.tidy(() => tf.min(tf.max(expected, 1)).dataSync()[0] as number);
      assert.ok(spread < 0.999, `${name}: saturated probabilities ${spread}`);
      tf.dispose([x, expected, actual]);
      model.dispose();
    });
  }
});
