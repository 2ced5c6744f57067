// The 12-net: face / non-face on 12x12 crops, the first stage of the cascade.
import { defineExperiment } from '../src/index.js';
import { ALL_SOURCES } from './common/data.js';
import { ADADELTA } from './common/optimizer.js';

export default defineExperiment({
  name: '12net',
  description: 'First detection stage: 12-net on 12x12 crops.',
  data: {
    sources: ALL_SOURCES,
    augmenters: [
      { type: 'positives', size: 12, mirror: true },
      { type: 'negatives', size: 12, windowsPerImage: 40 },
    ],
  },
  // The 12-nets' ops are too small to split across cores: one thread per op trains them faster.
  threads: 1,
  model: { type: 'net12' },
  optimizer: ADADELTA,
  train: { epochs: 30, batchSize: 64, initializer: 'glorotUniform' },
});
