// The 24-calibration net: conv 5x5x32, max-pool 3 s2, FC 64, softmax over the 45 calibration patterns.
// Layer names: input, conv1, pool1, flatten, fc1, output.
import type { z } from 'zod';
import { definePlugin } from '../../core/registry.js';
import { CALIB24, CALIBRATION_CLASSES } from './architectures.js';
import { netOptions } from './options.js';
import { SingleNet } from './single-net.js';

export const calib24Options = netOptions;

declare module '../../core/config/plugin-types.js' {
  interface ModelTypes {
    calib24: z.input<typeof calib24Options>;
  }
}

export const calib24Plugin = definePlugin({
  kind: 'model',
  type: 'calib24',
  description: '24-calibration net: corrects 24x24 windows with one of 45 patterns.',
  options: calib24Options,
  create: (options, context) =>
    new SingleNet({
      name: 'calib24',
      task: 'calibration',
      architecture: CALIB24,
      numClasses: CALIBRATION_CLASSES,
      initializer: options.initializer ?? context.config.train.initializer,
      seed: context.runtime.seed,
    }),
});
