import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../../src/core/backend.js';
import { createPlugin } from '../../../src/core/container.js';
import { CascadeError } from '../../../src/core/errors.js';
import { Logger } from '../../../src/core/logger.js';
import type { SampleStore } from '../../../src/core/store/index.js';
import { loadTrainedNet } from '../../../src/core/train/artifacts.js';
import { BalancedSampler } from '../../../src/core/train/balanced-sampler.js';
import { toBatchTensors } from '../../../src/core/train/batch.js';
import { evaluate } from '../../../src/core/train/evaluate.js';
import { Random } from '../../../src/core/train/random.js';
import { RUN_FILES } from '../../../src/core/train/run-dir.js';
import { trainNet } from '../../../src/core/train/train-net.js';
import { createTrainStep } from '../../../src/core/train/train-step.js';
import { makeTempDir, SHARED_DATA } from '../../helpers/temp-dir.js';
import { SMALL_DETECTION_DATA, testConfig, testContainer, testStore } from './helpers.js';

const dir = makeTempDir('cascade-train-');
let store: SampleStore;

const FAST_TRAIN = { epochs: 3, batchSize: 32, validationFraction: 0.2, checkpointEverySteps: 20, logEverySteps: 5 };

async function train(runName: string, train: Record<string, unknown>, resume = false, optimizer?: object) {
  const config = await testConfig(dir, { train: { ...FAST_TRAIN, ...train }, ...(optimizer ? { optimizer } : {}) });
  const container = await testContainer(config);
  const runDir = path.join(dir, 'runs', runName);
  return trainNet({ container, config, runDir, store, resume });
}

async function weightsOf(runDir: string): Promise<Float32Array[]> {
  const { model } = await loadTrainedNet(runDir);
  const values = model.getWeights().map((weight) => weight.dataSync() as Float32Array);
  model.dispose();
  return values;
}

describe('trainNet', () => {
  before(async () => {
    await selectBackend('tensorflow', new Logger({ level: 'silent' }));
    store = await testStore(await testConfig(dir, {}));
  });

  it('learns faces from non-faces far above chance', async () => {
    const result = await train('accuracy', { epochs: 8, batchSize: 64 }, false, { type: 'adam', learningRate: 0.003 });
    assert.equal(result.epochs, 8);
    assert.ok((result.metrics.val_balanced_accuracy ?? 0) > 0.75, JSON.stringify(result.metrics));
    assert.ok((result.metrics.train_loss ?? 1) < 0.6, JSON.stringify(result.metrics));
  });

  it('writes the run directory layout', async () => {
    const result = await train('layout', { epochs: 1 });
    assert.equal(result.modelEpoch, 1);
    for (const file of [RUN_FILES.config, `${RUN_FILES.model}/model.json`, `${RUN_FILES.model}/weights.bin`]) {
      assert.ok(fs.existsSync(path.join(result.runDir, file)), file);
    }
    const config = JSON.parse(fs.readFileSync(path.join(result.runDir, RUN_FILES.config), 'utf8'));
    assert.equal(config.train.batchSize, 32);
    const checkpoints = fs.readdirSync(path.join(result.runDir, RUN_FILES.checkpoints));
    assert.ok(checkpoints.includes('latest.json'), checkpoints.join(', '));
    assert.ok(checkpoints.filter((entry) => entry.startsWith('step-')).length <= 2, checkpoints.join(', '));
  });

  it('gives equal weights for equal seeds', async () => {
    const first = await train('seeded-a', { epochs: 1 });
    const second = await train('seeded-b', { epochs: 1 });
    assert.deepEqual(await weightsOf(first.runDir), await weightsOf(second.runDir));
  });

  it('resumed run matches an uninterrupted one', async () => {
    const whole = await train('whole', { epochs: 2 });
    // The same run stopped after its first epoch (its checkpoint is the end of epoch 1), then resumed for the second.
    await train('parts', { epochs: 1 });
    const resumed = await train('parts', { epochs: 2 }, true);
    assert.equal(resumed.globalStep, whole.globalStep);
    const [a, b] = [await weightsOf(whole.runDir), await weightsOf(resumed.runDir)];
    for (const [index, values] of a.entries()) {
      const other = b[index] as Float32Array;
      const maxDifference = values.reduce((max, value, i) => Math.max(max, Math.abs(value - (other[i] as number))), 0);
      assert.ok(maxDifference < 1e-5, `weight ${index} differs by ${maxDifference}`);
    }
  });

  it('stops early when validation loss stops improving', async () => {
    const result = await train('early', {
      epochs: 20,
      stepsPerEpoch: 2,
      earlyStopping: { metric: 'val_accuracy', mode: 'max', patience: 1, minDelta: 1 },
    });
    assert.equal(result.epochs, 2);
    assert.match(
      result.stopReason,
      /early stopping: val_accuracy did not improve for 1 epoch \(best [0-9.]+ at epoch 1\)/,
    );
  });

  it('early stopping keeps the best weights', async () => {
    // No epoch after the first improves val_accuracy by more than 1, so epoch 1 stays the best and
    // training stops after epoch 2.
    const earlyStopping = { metric: 'val_accuracy', mode: 'max', patience: 1, minDelta: 1 };
    const restored = await train('best-restored', { epochs: 20, stepsPerEpoch: 2, earlyStopping });
    const lastEpoch = await train('best-off', {
      epochs: 20,
      stepsPerEpoch: 2,
      earlyStopping: { ...earlyStopping, restoreBestWeights: false },
    });
    const firstEpoch = await train('best-reference', { epochs: 1, stepsPerEpoch: 2 });

    assert.equal(restored.epochs, 2);
    assert.equal(restored.modelEpoch, 1);
    assert.equal(restored.metrics.epoch, 1);
    assert.match(restored.stopReason, /at epoch 1\)/);
    assert.deepEqual(await weightsOf(restored.runDir), await weightsOf(firstEpoch.runDir));
    assert.equal(fs.existsSync(path.join(restored.runDir, RUN_FILES.best)), false);

    assert.equal(lastEpoch.modelEpoch, 2);
    assert.equal(lastEpoch.metrics.epoch, 2);
    assert.notDeepEqual(await weightsOf(lastEpoch.runDir), await weightsOf(firstEpoch.runDir));
  });

  it('rejects samples of the wrong crop size', async () => {
    const config = await testConfig(dir, { model: { type: 'calib24' }, train: FAST_TRAIN });
    await assert.rejects(
      trainNet({ container: await testContainer(config), config, runDir: path.join(dir, 'runs', 'wrong'), store }),
      /The samples are 12x12 crops, but the model "calib24" takes 24x24; set the size of data.augmenters to 24/,
    );
  });

  it('rejects a split without training samples', async () => {
    // Two source images, and a validation fraction that holds out both.
    const folder = path.join(dir, 'two-faces');
    fs.mkdirSync(folder, { recursive: true });
    const crops = path.join(SHARED_DATA, 'face-crops/lfw-subset-25px');
    for (const name of fs.readdirSync(crops).sort().slice(0, 2)) {
      fs.copyFileSync(path.join(crops, name), path.join(folder, name));
    }
    const config = await testConfig(dir, {
      name: 'two-faces',
      data: {
        sources: [{ type: 'image-folder', name: 'two', root: folder }],
        augmenters: SMALL_DETECTION_DATA.augmenters,
      },
      train: { ...FAST_TRAIN, validationFraction: 0.9 },
    });
    const container = await testContainer(config);
    const runDir = path.join(dir, 'runs', 'two-faces');
    await assert.rejects(
      trainNet({ container, config, runDir }),
      (error: unknown) => error instanceof CascadeError && /training split has no samples/.test(error.message),
    );
    // It fails before it writes the run or starts the batch worker.
    assert.equal(fs.existsSync(runDir), false);
  });

  it('keeps the tensor count over a training epoch', async () => {
    const config = await testConfig(dir, { train: FAST_TRAIN });
    const container = await testContainer(config);
    const net = await createPlugin(container, 'model', config.model);
    const model = await net.build();
    const optimizer = (await createPlugin(container, 'optimizer', config.optimizer)).create();
    const step = createTrainStep(model, optimizer, { weightDecay: 0.001 });
    const sampler = new BalancedSampler({
      open: () => store.read(),
      numClasses: 2,
      classes: [0, 1],
      bufferSize: 512,
      random: new Random(1),
    });
    const epoch = async (): Promise<void> => {
      for (let index = 0; index < 10; index += 1) {
        const { x, y, labels } = toBatchTensors(await sampler.nextBatch(32), 12, 2);
        step(x, y, labels);
        tf.dispose([x, y]);
      }
      await evaluate(model, store.read(), { task: 'detection', size: 12, numClasses: 2, batchSize: 32, limit: 100 });
    };

    // The warm-up creates the optimizer's slot variables.
    await epoch();
    const before = tf.memory().numTensors;
    await epoch();
    assert.equal(tf.memory().numTensors, before);
    await sampler.close();
    model.dispose();
    optimizer.dispose();
  });

  it('trainNet releases every tensor it creates', async () => {
    await train('memory-warmup', { epochs: 1, stepsPerEpoch: 3 });
    const before = tf.memory().numTensors;
    await train('memory', { epochs: 2, stepsPerEpoch: 3 });
    assert.equal(tf.memory().numTensors, before);
  });
});
