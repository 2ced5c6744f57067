// The 24-net: face / non-face on 24x24 crops, with the frozen features of the 12-net trained by
// experiments/12net.ts (its latest finished run). Run 12net.ts and 12cal.ts first.
import { defineExperiment } from '../src/index.js';
import { ALL_SOURCES } from './common/data.js';
import { ADADELTA } from './common/optimizer.js';

export default defineExperiment({
  name: '24net',
  description: 'Second detection stage: 24-net with the frozen 12-net features.',
  data: {
    sources: ALL_SOURCES,
    augmenters: [
      { type: 'positives', size: 24, mirror: true },
      { type: 'negatives', size: 24, windowsPerImage: 40 },
      // Hard negatives: background windows that the trained 12-net and 12-calib still accept.
      // experiments/cascade.ts also picks the 12-stage threshold for 99% recall before mining.
      { type: 'hard-negatives', size: 24, models: ['runs/12net/latest', 'runs/12cal/latest'], maxPerImage: 100 },
    ],
  },
  model: { type: 'net24', net12: 'runs/12net/latest' },
  optimizer: ADADELTA,
  train: { epochs: 10, batchSize: 64, initializer: 'glorotUniform' },
});
