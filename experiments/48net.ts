// The 48-net: face / non-face on 48x48 crops, with the frozen features of the 24-net trained by
// experiments/24net.ts (its latest finished run), which carries its own 12-net branch. Run the
// 12- and 24-stage experiments first.
import { defineExperiment } from '../src/index.js';
import { ALL_SOURCES } from './common/data.js';
import { ADADELTA } from './common/optimizer.js';

export default defineExperiment({
  name: '48net',
  description: 'Last detection stage: 48-net with the frozen 24-net and 12-net features.',
  data: {
    sources: ALL_SOURCES,
    augmenters: [
      { type: 'positives', size: 48, mirror: true },
      { type: 'negatives', size: 48, windowsPerImage: 40 },
      // Hard negatives: background windows that pass the trained 12- and 24-stages with their calibration nets.
      {
        type: 'hard-negatives',
        size: 48,
        models: ['runs/12net/latest', 'runs/12cal/latest', 'runs/24net/latest', 'runs/24cal/latest'],
        maxPerImage: 100,
      },
    ],
  },
  model: { type: 'net48', net24: 'runs/24net/latest' },
  optimizer: ADADELTA,
  train: { epochs: 10, batchSize: 64, initializer: 'glorotUniform' },
});
