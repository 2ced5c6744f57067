import fs from 'node:fs/promises';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { DependencyContainer } from 'tsyringe';
import { setLearningRate } from '../../plugins/optimizers/scheduled-optimizer.js';
import type { ResolvedConfig } from '../config/schema.js';
import { createPlugin } from '../container.js';
import { CascadeError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Model } from '../model.js';
import type { SampleStore } from '../store/index.js';
import { LOGGER, RUNTIME } from '../tokens.js';
import type { Tracker } from '../tracker.js';
import { writeDirAtomic, writeFileAtomic } from './atomic-write.js';
import { NO_TRAINING_SAMPLES } from './balanced-sampler.js';
import { hostBatchTensors } from './batch.js';
import { BatchPrefetcher } from './batch-prefetcher.js';
import {
  type EpochRecord,
  findCheckpoint,
  initialTrainState,
  restoreCheckpoint,
  saveCheckpoint,
  type TrainState,
} from './checkpoint.js';
import { updateEarlyStopping } from './early-stopping.js';
import { evaluate } from './evaluate.js';
import { readModel, writeModel } from './model-files.js';
import { flattenParams } from './params.js';
import { deriveSeed } from './random.js';
import { newRunId, RUN_FILES } from './run-dir.js';
import { buildStoreForConfig, checkStoreFitsModel, countTrainingLabels } from './sample-data.js';
import { splitGroups } from './split.js';
import { createTrainStep } from './train-step.js';

export interface TrainNetOptions {
  container: DependencyContainer;
  config: ResolvedConfig;
  /** Receives params, metrics and artifacts; its run must already be started. */
  tracker?: Tracker;
  /** Run directory for the config, checkpoints and the final model; `<runsDir>/<name>/<new run id>` by default. */
  runDir?: string;
  /** Continue from the run directory's last checkpoint, if it has one. */
  resume?: boolean;
  /** Samples to train on; by default the store built from `config.data`. */
  store?: SampleStore;
}

/** The outcome of a finished training run. */
export interface TrainResult {
  runDir: string;
  /** Folder of the final weights (`model.json` and `weights.bin`). */
  modelDir: string;
  epochs: number;
  globalStep: number;
  /**
   * Metrics of the epoch whose weights the model holds: the last epoch, or the best one when early
   * stopping restored it. Training loss and accuracy, validation metrics.
   */
  metrics: Record<string, number>;
  /** Epoch whose weights the final model holds: the last one, or the best one that early stopping restored. */
  modelEpoch?: number;
  stopReason: string;
}

/**
 * Trains one net on one config: splits the samples by source image, draws class-balanced batches,
 * evaluates on the held-out images after each epoch, writes atomic checkpoints and the final weights
 * into the run directory, and reports to the tracker. Used by `cascade exp` and, once per stage, by
 * the cascade experiment.
 */
export async function trainNet(options: TrainNetOptions): Promise<TrainResult> {
  const { container, config } = options;
  const logger = container.resolve(LOGGER);
  const { seed, runsDir } = container.resolve(RUNTIME);
  const runDir = options.runDir ?? path.join(runsDir, config.name, newRunId());
  const train = config.train;

  const modelPlugin = await createPlugin(container, 'model', config.model);
  const optimizerPlugin = await createPlugin(container, 'optimizer', config.optimizer);
  const store = options.store ?? (await buildStoreForConfig(container, config));
  checkStoreFitsModel(store, modelPlugin);

  const split = splitGroups(await store.groups(), train.validationFraction, seed);
  const isTraining = (group: string): boolean => !split.isValidation(group);
  const labelCounts = await countTrainingLabels(store, isTraining);
  const trainingSamples = labelCounts.reduce((sum, count) => sum + count, 0);
  if (trainingSamples === 0) {
    throw new CascadeError(NO_TRAINING_SAMPLES);
  }
  const stepsPerEpoch = train.stepsPerEpoch ?? Math.max(1, Math.ceil(trainingSamples / train.batchSize));
  logger.info(
    `${modelPlugin.name}: ${trainingSamples} training samples from ${split.trainGroups} images, ` +
      `${split.validationGroups} images held out; ${stepsPerEpoch} steps of ${train.batchSize} per epoch`,
  );

  await fs.mkdir(runDir, { recursive: true });
  await writeFileAtomic(path.join(runDir, RUN_FILES.config), `${JSON.stringify(config, null, 2)}\n`);
  await options.tracker?.logParams({
    ...flattenParams(config),
    'train.stepsPerEpoch': stepsPerEpoch,
    'data.trainingSamples': trainingSamples,
    'data.trainingImages': split.trainGroups,
    'data.validationImages': split.validationGroups,
  });
  await options.tracker?.logInput({
    name: `${config.name}-samples`,
    digest: store.manifest.digest,
    sourceType: 'cascade-sample-store',
    source: store.dir,
  });

  const model = await modelPlugin.build();
  const optimizer = optimizerPlugin.create();
  try {
    let state = initialTrainState();
    const checkpoint = options.resume ? await findCheckpoint(runDir) : undefined;
    if (checkpoint) {
      state = await restoreCheckpoint(checkpoint, model, optimizer);
      // The steps after the checkpoint run again, so their first records would otherwise stay beside the new ones.
      await options.tracker?.rewind?.(state.globalStep);
      logger.info(
        `resuming from ${checkpoint}: epoch ${state.epoch + 1}, step ${state.stepInEpoch} of ${stepsPerEpoch}`,
      );
    }
    await runEpochs({
      ...options,
      runDir,
      logger,
      seed,
      store,
      model,
      modelPlugin,
      optimizer,
      weightDecay: optimizerPlugin.weightDecay,
      learningRateAt: (epoch) => optimizerPlugin.learningRateAt?.(epoch),
      isTraining,
      isValidation: split.isValidation,
      presentClasses: labelCounts.flatMap((count, label) => (count > 0 ? [label] : [])),
      trainingSamples,
      stepsPerEpoch,
      state,
    });

    const modelDir = path.join(runDir, RUN_FILES.model);
    const best = await restoreBestEpoch(runDir, model, state, train.earlyStopping, logger);
    const modelEpoch = best?.epoch ?? state.history.at(-1)?.epoch;
    await writeDirAtomic(modelDir, (dir) => writeModel(model, dir));
    await fs.rm(path.join(runDir, RUN_FILES.best), { recursive: true, force: true });
    await options.tracker?.logArtifact(modelDir, RUN_FILES.model);
    return {
      runDir,
      modelDir,
      epochs: state.history.length,
      globalStep: state.globalStep,
      metrics: best?.metrics ?? state.history.at(-1)?.metrics ?? {},
      ...(modelEpoch !== undefined ? { modelEpoch } : {}),
      stopReason: state.stopReason ?? 'completed all epochs',
    };
  } finally {
    model.dispose();
    optimizer.dispose();
  }
}

interface EpochLoopOptions extends TrainNetOptions {
  runDir: string;
  logger: Logger;
  seed: number;
  store: SampleStore;
  model: tf.LayersModel;
  modelPlugin: Model;
  optimizer: tf.Optimizer;
  weightDecay: number;
  learningRateAt: (epoch: number) => number | undefined;
  isTraining: (group: string) => boolean;
  isValidation: (group: string) => boolean;
  presentClasses: number[];
  trainingSamples: number;
  stepsPerEpoch: number;
  /** Updated in place as training goes on. */
  state: TrainState;
}

async function runEpochs(options: EpochLoopOptions): Promise<void> {
  const { config, model, modelPlugin, optimizer } = options;
  const train = config.train;
  const step = createTrainStep(model, optimizer, { weightDecay: options.weightDecay });
  const batches = await BatchPrefetcher.start({
    storeDir: options.store.dir,
    validationFraction: train.validationFraction,
    splitSeed: options.seed,
    numClasses: modelPlugin.numClasses,
    classes: options.presentClasses,
    bufferSize: train.shuffleBufferSize,
    size: modelPlugin.inputSize,
    batchSize: train.batchSize,
  });
  try {
    await runEpochsWith(options, step, batches);
  } finally {
    await batches.close();
  }
}

async function runEpochsWith(
  options: EpochLoopOptions,
  step: ReturnType<typeof createTrainStep>,
  batches: BatchPrefetcher,
): Promise<void> {
  const { config, model, modelPlugin, optimizer, state, tracker, stepsPerEpoch, logger } = options;
  const train = config.train;

  while (state.epoch < train.epochs && !state.stopReason) {
    const rate = options.learningRateAt(state.epoch);
    if (rate !== undefined) {
      setLearningRate(optimizer, rate);
    }

    // Each epoch draws from a fresh pass with its own seed, so a resumed run replays the same batches.
    // Each epoch starts about where the previous one stopped reading, so that epochs shorter than a
    // pass over the store do not all train on its first samples.
    batches.startEpoch({
      seed: deriveSeed(options.seed, state.epoch),
      skip: (state.epoch * stepsPerEpoch * train.batchSize) % Math.max(options.trainingSamples, 1),
      skipBatches: state.stepInEpoch,
      batches: stepsPerEpoch - state.stepInEpoch,
    });

    const started = Date.now();
    let samplesThisSession = 0;
    while (state.stepInEpoch < stepsPerEpoch) {
      const batch = await batches.next();
      const tensors = hostBatchTensors(batch, modelPlugin.inputSize, modelPlugin.numClasses);
      const result = step(tensors.x, tensors.y, tensors.labels);
      tensors.x.dispose();
      tensors.y.dispose();

      state.stepInEpoch += 1;
      state.globalStep += 1;
      state.epochLossSum += result.loss * batch.count;
      state.epochCorrect += result.correct;
      state.epochSamples += batch.count;
      samplesThisSession += batch.count;

      if (state.stepInEpoch % train.logEverySteps === 0 || state.stepInEpoch === stepsPerEpoch) {
        tracker?.logMetrics(
          {
            epoch: state.epoch + 1,
            train_loss: state.epochLossSum / state.epochSamples,
            train_accuracy: state.epochCorrect / state.epochSamples,
            samples_per_second: samplesThisSession / Math.max((Date.now() - started) / 1000, 1e-3),
          },
          state.globalStep,
        );
      }
      if (state.globalStep % train.checkpointEverySteps === 0 && state.stepInEpoch < stepsPerEpoch) {
        await saveCheckpoint(options.runDir, model, optimizer, state);
      }
    }

    const validation = await evaluate(model, options.store.read({ filter: options.isValidation }), {
      task: modelPlugin.task,
      size: modelPlugin.inputSize,
      numClasses: modelPlugin.numClasses,
      batchSize: train.batchSize,
      limit: train.validationSamples,
    });
    const metrics: Record<string, number> = {
      epoch: state.epoch + 1,
      train_loss: state.epochLossSum / Math.max(state.epochSamples, 1),
      train_accuracy: state.epochCorrect / Math.max(state.epochSamples, 1),
      ...validation,
      ...(rate !== undefined ? { learning_rate: rate } : {}),
    };
    if (Object.keys(validation).length === 0) {
      logger.warn('no validation samples: set train.validationFraction above 0 to get validation metrics.');
    }
    tracker?.logMetrics(metrics, state.globalStep);
    state.history.push({ epoch: state.epoch + 1, metrics });
    if (train.earlyStopping && updateEarlyStopping(state, metrics, train.earlyStopping)) {
      if (train.earlyStopping.restoreBestWeights) {
        // Written before the checkpoint that records this epoch as the best, so a resumed run finds them.
        await writeDirAtomic(path.join(options.runDir, RUN_FILES.best), (dir) => writeModel(model, dir));
      }
    }

    state.epoch += 1;
    state.stepInEpoch = 0;
    state.epochLossSum = 0;
    state.epochCorrect = 0;
    state.epochSamples = 0;
    await saveCheckpoint(options.runDir, model, optimizer, state);
  }
}

/**
 * Loads the best epoch's weights into `model` when early stopping kept them and a later epoch ran,
 * and returns that epoch's record. The best epoch is the last one that improved the metric by more
 * than `minDelta`, as in Keras. Returns undefined when the last epoch's weights stay.
 */
async function restoreBestEpoch(
  runDir: string,
  model: tf.LayersModel,
  state: TrainState,
  earlyStopping: ResolvedConfig['train']['earlyStopping'],
  logger: Logger,
): Promise<EpochRecord | undefined> {
  const bestEpoch = state.bestEpoch;
  if (!earlyStopping?.restoreBestWeights || bestEpoch === undefined || bestEpoch === state.history.at(-1)?.epoch) {
    return undefined;
  }
  const record = state.history.find((entry) => entry.epoch === bestEpoch);
  const best = await readModel(path.join(runDir, RUN_FILES.best)).catch((error: unknown) => {
    throw new CascadeError(
      `Failed to read the weights of the best epoch (${bestEpoch}) from ${path.join(runDir, RUN_FILES.best)}; ` +
        'set train.earlyStopping.restoreBestWeights to false to keep the last epoch instead.',
      { cause: error },
    );
  });
  try {
    model.setWeights(best.getWeights());
  } finally {
    best.dispose();
  }
  const change = earlyStopping.minDelta > 0 ? ` by more than ${earlyStopping.minDelta}` : '';
  logger.info(
    `the model keeps the weights of epoch ${bestEpoch}, the last epoch that improved ${earlyStopping.metric}${change}`,
  );
  return record;
}
