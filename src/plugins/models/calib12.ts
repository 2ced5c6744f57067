// The 12-calibration net: conv 3x3x16, max-pool 3 s2, FC 128, softmax over the 45 calibration patterns.
// Layer names: input, conv1, pool1, flatten, fc1, output.
import type { z } from 'zod';
import { definePlugin } from '../../core/registry.js';
import { CALIB12, CALIBRATION_CLASSES } from './architectures.js';
import { netOptions } from './options.js';
import { SingleNet } from './single-net.js';

export const calib12Options = netOptions;

declare module '../../core/config/plugin-types.js' {
  interface ModelTypes {
    calib12: z.input<typeof calib12Options>;
  }
}

export const calib12Plugin = definePlugin({
  kind: 'model',
  type: 'calib12',
  description: '12-calibration net: corrects 12x12 windows with one of 45 patterns.',
  options: calib12Options,
  create: (options, context) =>
    new SingleNet({
      name: 'calib12',
      task: 'calibration',
      architecture: CALIB12,
      numClasses: CALIBRATION_CLASSES,
      initializer: options.initializer ?? context.config.train.initializer,
      seed: context.runtime.seed,
    }),
});
