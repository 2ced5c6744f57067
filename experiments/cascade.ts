// The whole cascade in one run: `cascade exp experiments/cascade.ts`. Trains the 12-net and 12-calib,
// picks the 12-stage threshold for 99% recall on held-out faces, mines hard negatives for the 24-net,
// trains the 24 pair, picks the 24-stage threshold for 97% recall, mines for the 48-net, trains the 48
// pair and scores FDDB folds 4 and 5, which no net trains on. FDDB fold 3 is held out for the thresholds.
import { defineCascadeExperiment } from '../src/core/config/cascade-schema.js';
import type { SourceSpec } from '../src/index.js';
import { BACKGROUND_SOURCES, CROP_SOURCES } from './common/data.js';

/** Annotated photographs for training: FDDB folds 1-2 only, so that folds 3-5 stay unseen. */
const TRAIN_FACES: SourceSpec[] = [
  { type: 'fddb', root: 'fddb', folds: [1, 2] },
  { type: 'wider-face', root: 'wider-face-val' },
  { type: 'imglab', root: 'dlib-imglab/training.xml' },
];
const DETECTION_SOURCES: SourceSpec[] = [...TRAIN_FACES, ...CROP_SOURCES, ...BACKGROUND_SOURCES];
const CALIBRATION_SOURCES: SourceSpec[] = [...TRAIN_FACES, ...CROP_SOURCES];

// Adadelta as Zeiler (2012) defines it, without a learning-rate factor (1.0); with Keras' default 0.001
// the nets barely move in the few epochs below.
const OPTIMIZER = { type: 'adadelta', learningRate: 1 } as const;

// Short schedules: the shared data has about a thousand faces, and the machine is shared.
const DETECTION_TRAIN = { epochs: 10, batchSize: 64, initializer: 'glorotUniform' } as const;
const CALIBRATION_TRAIN = {
  epochs: 4,
  stepsPerEpoch: 200,
  batchSize: 64,
  initializer: 'glorotUniform',
  earlyStopping: { metric: 'val_loss', patience: 2 },
} as const;

export default defineCascadeExperiment({
  kind: 'cascade',
  name: 'cascade',
  description: 'All six nets with hard-negative mining, evaluated on FDDB folds 4-5.',
  nets: {
    net12: {
      data: {
        sources: DETECTION_SOURCES,
        augmenters: [
          { type: 'positives', size: 12, mirror: true },
          { type: 'negatives', size: 12, windowsPerImage: 40 },
        ],
      },
      optimizer: OPTIMIZER,
      train: { ...DETECTION_TRAIN, epochs: 20 },
    },
    calib12: {
      data: { sources: CALIBRATION_SOURCES, augmenters: [{ type: 'calibration', size: 12 }] },
      optimizer: OPTIMIZER,
      train: CALIBRATION_TRAIN,
    },
    // The runner adds the hard-negatives augmenter and the frozen earlier net to the 24- and 48-nets.
    net24: {
      data: {
        sources: DETECTION_SOURCES,
        augmenters: [
          { type: 'positives', size: 24, mirror: true },
          { type: 'negatives', size: 24, windowsPerImage: 20 },
        ],
      },
      optimizer: OPTIMIZER,
      train: DETECTION_TRAIN,
    },
    calib24: {
      data: { sources: CALIBRATION_SOURCES, augmenters: [{ type: 'calibration', size: 24 }] },
      optimizer: OPTIMIZER,
      train: CALIBRATION_TRAIN,
    },
    net48: {
      data: {
        sources: DETECTION_SOURCES,
        augmenters: [
          { type: 'positives', size: 48, mirror: true },
          { type: 'negatives', size: 48, windowsPerImage: 20 },
        ],
      },
      optimizer: OPTIMIZER,
      train: { ...DETECTION_TRAIN, epochs: 6 },
    },
    calib48: {
      data: { sources: CALIBRATION_SOURCES, augmenters: [{ type: 'calibration', size: 48 }] },
      optimizer: OPTIMIZER,
      train: { ...CALIBRATION_TRAIN, epochs: 3, stepsPerEpoch: 100 },
    },
  },
  thresholds: {
    heldOut: [{ type: 'fddb', name: 'fddb-heldout', root: 'fddb', folds: [3] }],
    recall12: 0.99,
    recall24: 0.97,
  },
  mining: { sources: [...TRAIN_FACES, ...BACKGROUND_SOURCES], maxPerImage: 100, useFaceImages: true },
  detector: { minFaceSize: 40, stride: 4, pyramidFactor: 0.8 },
  evaluation: { fddb: { root: 'fddb', folds: [4, 5] } },
});
