// The 48-calibration net: which of the 45 calibration patterns maps a 48x48 window back onto the face.
import { defineExperiment } from '../src/index.js';
import { CALIBRATION_SOURCES } from './common/data.js';
import { ADADELTA } from './common/optimizer.js';

export default defineExperiment({
  name: '48cal',
  description: '48-calibration net on the 45 shifted and scaled crops of every face.',
  data: {
    sources: CALIBRATION_SOURCES,
    augmenters: [{ type: 'calibration', size: 48 }],
  },
  model: { type: 'calib48' },
  optimizer: ADADELTA,
  train: {
    epochs: 10,
    batchSize: 64,
    initializer: 'glorotUniform',
    earlyStopping: { metric: 'val_loss', patience: 3 },
  },
});
