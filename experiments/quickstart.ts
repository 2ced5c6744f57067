// A first training run that needs only the package registries: the 12-net on scikit-image's 100 LFW
// face crops, its 100 non-face crops and its face-free sample images, fetched by
// scripts/quickstart-data.mjs into .cascade/quickstart/. Run it with `npm run quickstart`.
import path from 'node:path';
import { defineExperiment } from '../src/index.js';
import { ADADELTA } from './common/optimizer.js';

const QUICKSTART_DATA = path.resolve(import.meta.dirname, '..', '.cascade', 'quickstart');
const CROPS = path.join(QUICKSTART_DATA, 'lfw_subset.npy');

export default defineExperiment({
  name: 'quickstart',
  description: '12-net on the LFW subset and the face-free images of scikit-image.',
  data: {
    sources: [
      // lfw_subset.npy contains 100 faces, then 100 crops of the same photographs without a face.
      { type: 'npy-crops', name: 'lfw-faces', root: CROPS, faces: true, start: 0, end: 100 },
      { type: 'npy-crops', name: 'lfw-non-faces', root: CROPS, faces: false, start: 100, end: 200 },
      { type: 'backgrounds', name: 'skimage-backgrounds', root: path.join(QUICKSTART_DATA, 'backgrounds') },
    ],
    augmenters: [
      { type: 'positives', size: 12, mirror: true },
      { type: 'negatives', size: 12, windowsPerImage: 30 },
    ],
  },
  // As in experiments/12net.ts: one thread per op trains the 12-net faster.
  threads: 1,
  model: { type: 'net12' },
  optimizer: ADADELTA,
  train: { epochs: 15, batchSize: 64, validationFraction: 0.2 },
});
