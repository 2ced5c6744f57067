import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import cascadeExperiment from '../../../experiments/cascade.js';
import { netExperiment, parseCascadeConfig } from '../../../src/core/detect/cascade-experiment.js';

const RUN_DIRS = { net12: 'runs/a/net12', calib12: 'runs/a/calib12', net24: 'runs/a/net24', calib24: 'runs/a/calib24' };

interface NetExperimentShape {
  data: { sources: Array<{ type: string; name?: string }>; augmenters: Array<Record<string, unknown>> };
}

function hardNegatives(experiment: NetExperimentShape): Record<string, unknown> | undefined {
  return experiment.data.augmenters.find((augmenter) => augmenter.type === 'hard-negatives');
}

describe('cascade net experiments', () => {
  const config = parseCascadeConfig(cascadeExperiment, 'experiments/cascade.ts');

  test('24-net mines face images', () => {
    const experiment = netExperiment(config, 'net24', RUN_DIRS, {}) as unknown as NetExperimentShape;
    const miner = hardNegatives(experiment);
    assert.equal(miner?.useFaceImages, true);
    assert.equal(miner?.size, 24);
    assert.deepEqual(miner?.models, ['runs/a/net12', 'runs/a/calib12']);
    const sources = (miner?.sources ?? []) as string[];
    assert.ok(sources.includes('fddb'));
    assert.ok(sources.includes('backgrounds'));
  });

  test('48-net mines after the 24 pair', () => {
    const experiment = netExperiment(config, 'net48', RUN_DIRS, {}) as unknown as NetExperimentShape;
    const miner = hardNegatives(experiment);
    assert.equal(miner?.size, 48);
    assert.deepEqual(miner?.models, Object.values(RUN_DIRS));
  });

  test('mining sources are added once', () => {
    const experiment = netExperiment(config, 'net24', RUN_DIRS, {}) as unknown as NetExperimentShape;
    const fddb = experiment.data.sources.filter((source) => source.type === 'fddb');
    assert.equal(fddb.length, 1);
  });

  test('face images are off by default', () => {
    const backgroundsOnly = parseCascadeConfig(
      { ...cascadeExperiment, mining: { sources: [{ type: 'backgrounds', root: 'backgrounds' }] } },
      'inline',
    );
    const miner = hardNegatives(netExperiment(backgroundsOnly, 'net24', RUN_DIRS, {}) as unknown as NetExperimentShape);
    assert.equal(miner?.useFaceImages, false);
  });

  test('invalid field shows its value', () => {
    const invalid = { ...cascadeExperiment, mining: { ...cascadeExperiment.mining, useFaceImages: 'yes' } };
    assert.throws(
      () => parseCascadeConfig(invalid, 'experiments/typo.ts'),
      /Invalid cascade experiment in experiments\/typo\.ts:\n {2}mining\.useFaceImages: Expected boolean, received string \("yes"\)/,
    );
  });

  test('12-net has no miner', () => {
    const experiment = netExperiment(config, 'net12', {}, {}) as unknown as NetExperimentShape;
    assert.equal(hardNegatives(experiment), undefined);
  });
});
