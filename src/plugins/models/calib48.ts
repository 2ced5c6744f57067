// The 48-calibration net: conv 5x5x64, max-pool 3 s2, norm, conv 5x5x64, norm, FC 256, softmax over
// the 45 calibration patterns. Layer names: input, conv1, pool1, norm1, conv2, norm2, flatten, fc1, output.
import type { z } from 'zod';
import { definePlugin } from '../../core/registry.js';
import { CALIB48, CALIBRATION_CLASSES } from './architectures.js';
import { netOptions } from './options.js';
import { SingleNet } from './single-net.js';

export const calib48Options = netOptions;

declare module '../../core/config/plugin-types.js' {
  interface ModelTypes {
    calib48: z.input<typeof calib48Options>;
  }
}

export const calib48Plugin = definePlugin({
  kind: 'model',
  type: 'calib48',
  description: '48-calibration net: corrects 48x48 windows with one of 45 patterns.',
  options: calib48Options,
  create: (options, context) =>
    new SingleNet({
      name: 'calib48',
      task: 'calibration',
      architecture: CALIB48,
      numClasses: CALIBRATION_CLASSES,
      initializer: options.initializer ?? context.config.train.initializer,
      seed: context.runtime.seed,
    }),
});
