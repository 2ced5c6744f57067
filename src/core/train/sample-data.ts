import type { DependencyContainer } from 'tsyringe';
import type { ResolvedConfig } from '../config/schema.js';
import { createPlugin } from '../container.js';
import { CascadeError } from '../errors.js';
import type { Model } from '../model.js';
import { buildSampleStore, type SampleStore } from '../store/index.js';
import { LOGGER, RUNTIME } from '../tokens.js';

/** Builds (or reuses) the sample store of a config's data sources and augmenters. */
export async function buildStoreForConfig(
  container: DependencyContainer,
  config: ResolvedConfig,
): Promise<SampleStore> {
  const sources = [];
  for (const spec of config.data.sources) {
    sources.push(await createPlugin(container, 'source', spec));
  }
  const augmenters = [];
  for (const spec of config.data.augmenters) {
    augmenters.push(await createPlugin(container, 'augmenter', spec));
  }
  return buildSampleStore({
    sources,
    augmenters,
    cacheDir: container.resolve(RUNTIME).cacheDir,
    logger: container.resolve(LOGGER),
    key: {
      sources: config.data.sources,
      augmenters: config.data.augmenters,
      inputs: await Promise.all(augmenters.map((augmenter) => augmenter.cacheKey?.() ?? null)),
    },
  });
}

/** Checks that the samples fit the net: same crop size and number of classes. */
export function checkStoreFitsModel(store: SampleStore, model: Model): void {
  const { size, numClasses } = store.manifest;
  if (size !== model.inputSize) {
    throw new CascadeError(
      `The samples are ${size}x${size} crops, but the model "${model.name}" takes ${model.inputSize}x${model.inputSize}; ` +
        `set the size of data.augmenters to ${model.inputSize}.`,
    );
  }
  if (numClasses !== model.numClasses) {
    throw new CascadeError(
      `The samples have ${numClasses} classes, but the model "${model.name}" predicts ${model.numClasses}; ` +
        `${model.numClasses === 45 ? 'calibration nets need the calibration augmenter' : 'detection nets need positives and negatives augmenters'}.`,
    );
  }
}

/** Training samples per label, counted in one pass over the training groups. */
export async function countTrainingLabels(
  store: SampleStore,
  isTraining: (group: string) => boolean,
): Promise<number[]> {
  const counts = new Array<number>(store.manifest.numClasses).fill(0);
  for await (const sample of store.read({ filter: isTraining })) {
    counts[sample.label] = (counts[sample.label] ?? 0) + 1;
  }
  return counts;
}
