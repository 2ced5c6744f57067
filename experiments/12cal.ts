// The 12-calibration net: which of the 45 calibration patterns maps a 12x12 window back onto the face.
import { defineExperiment } from '../src/index.js';
import { CALIBRATION_SOURCES } from './common/data.js';
import { ADADELTA } from './common/optimizer.js';

export default defineExperiment({
  name: '12cal',
  description: '12-calibration net on the 45 shifted and scaled crops of every face.',
  data: {
    sources: CALIBRATION_SOURCES,
    augmenters: [{ type: 'calibration', size: 12 }],
  },
  // The 12-nets' ops are too small to split across cores: one thread per op trains them faster.
  threads: 1,
  model: { type: 'calib12' },
  optimizer: ADADELTA,
  train: {
    epochs: 10,
    batchSize: 64,
    initializer: 'glorotUniform',
    earlyStopping: { metric: 'val_loss', patience: 3 },
  },
});
