import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { CascadeError } from '../../../src/core/errors.js';
import type { SampleStore } from '../../../src/core/store/index.js';
import { BalancedSampler } from '../../../src/core/train/balanced-sampler.js';
import { BatchPrefetcher, type BatchWorkerInit } from '../../../src/core/train/batch-prefetcher.js';
import { toHostBatch } from '../../../src/core/train/host-batch.js';
import { deriveSeed, Random } from '../../../src/core/train/random.js';
import { splitGroups } from '../../../src/core/train/split.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { testConfig, testStore } from './helpers.js';

const dir = makeTempDir('cascade-prefetch-');
let store: SampleStore;

function initFor(overrides: Partial<BatchWorkerInit> = {}): BatchWorkerInit {
  return {
    storeDir: store.dir,
    validationFraction: 0.2,
    splitSeed: 42,
    numClasses: 2,
    classes: [0, 1],
    bufferSize: 256,
    size: 12,
    batchSize: 16,
    ...overrides,
  };
}

describe('BatchPrefetcher', () => {
  before(async () => {
    store = await testStore(await testConfig(dir, {}));
  });

  it('draws the main-thread batches', async () => {
    const init = initFor();
    const split = splitGroups(await store.groups(), init.validationFraction, init.splitSeed);
    const sampler = new BalancedSampler({
      open: (pass) =>
        store.read({ filter: (group) => !split.isValidation(group), shuffle: new Random(deriveSeed(7, pass)) }),
      numClasses: 2,
      classes: [0, 1],
      bufferSize: init.bufferSize,
      random: new Random(7),
      skip: 5,
    });
    const expected = [];
    for (let index = 0; index < 6; index += 1) {
      expected.push(toHostBatch(await sampler.nextBatch(init.batchSize), 12, 2));
    }
    await sampler.close();

    const prefetcher = await BatchPrefetcher.start(init);
    try {
      // A resumed epoch: the first two batches were trained before the checkpoint.
      prefetcher.startEpoch({ seed: 7, skip: 5, skipBatches: 2, batches: 4 });
      for (let index = 2; index < 6; index += 1) {
        const batch = await prefetcher.next();
        assert.equal(batch.count, init.batchSize);
        assert.deepEqual(batch.labels, expected[index]?.labels, `batch ${index} labels`);
        assert.deepEqual(batch.pixels, expected[index]?.pixels, `batch ${index} pixels`);
        assert.deepEqual(batch.oneHot, expected[index]?.oneHot, `batch ${index} one-hot labels`);
      }
    } finally {
      await prefetcher.close();
    }
  });

  it('serves epochs one after another', async () => {
    const prefetcher = await BatchPrefetcher.start(initFor());
    try {
      for (const seed of [1, 2]) {
        prefetcher.startEpoch({ seed, skip: 0, skipBatches: 0, batches: 3 });
        for (let index = 0; index < 3; index += 1) {
          const batch = await prefetcher.next();
          assert.equal(batch.count, 16);
          // Half positives, half negatives.
          assert.equal(batch.labels.filter((label) => label === 1).length, 8);
        }
      }
    } finally {
      await prefetcher.close();
    }
  });

  it('reports a missing store', async () => {
    await assert.rejects(
      BatchPrefetcher.start(initFor({ storeDir: path.join(dir, 'no-such-store') })),
      (error: unknown) => error instanceof CascadeError && /failed to open the sample store/.test(error.message),
    );
  });

  it('reports a class missing from the split', async () => {
    const prefetcher = await BatchPrefetcher.start(initFor({ numClasses: 3, classes: [0, 1, 2] }));
    try {
      prefetcher.startEpoch({ seed: 1, skip: 0, skipBatches: 0, batches: 2 });
      await assert.rejects(
        prefetcher.next(),
        (error: unknown) => error instanceof CascadeError && /no samples of a class/.test(error.message),
      );
    } finally {
      await prefetcher.close();
    }
  });
});
