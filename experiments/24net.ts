// The 24-net: face / non-face on 24x24 crops, with the frozen features of the 12-net trained by
// experiments/12net.ts (its latest finished run).
import { defineExperiment } from '../src/index.js';
import { ALL_SOURCES } from './common/data.js';
import { ADADELTA } from './common/optimizer.js';

export default defineExperiment({
  name: '24net',
  description: 'Second detection stage: 24-net with the frozen 12-net features.',
  data: {
    sources: ALL_SOURCES,
    // TODO: draw negatives from the windows that pass the 12-net stage (hard negatives) once the miner exists.
    augmenters: [
      { type: 'positives', size: 24, mirror: true },
      { type: 'negatives', size: 24, windowsPerImage: 40 },
    ],
  },
  model: { type: 'net24', net12: 'runs/12net/latest' },
  optimizer: ADADELTA,
  train: { epochs: 10, batchSize: 64, initializer: 'glorotUniform' },
});
