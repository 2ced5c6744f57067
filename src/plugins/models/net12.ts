// The 12-net: conv 3x3x16, max-pool 3 s2, FC 16, softmax over (non-face, face).
// Layer names: input, conv1, pool1, flatten, fc1, output. The detector turns conv1..fc1 into a
// fully convolutional scanner by these names, so keep them stable.
import type { z } from 'zod';
import { definePlugin } from '../../core/registry.js';
import { DETECTION_CLASSES, NET12 } from './architectures.js';
import { netOptions } from './options.js';
import { SingleNet } from './single-net.js';

export const net12Options = netOptions;

declare module '../../core/config/plugin-types.js' {
  interface ModelTypes {
    net12: z.input<typeof net12Options>;
  }
}

export const net12Plugin = definePlugin({
  kind: 'model',
  type: 'net12',
  description: '12-net: the first detection stage, on 12x12 crops.',
  options: net12Options,
  create: (options, context) =>
    new SingleNet({
      name: 'net12',
      task: 'detection',
      architecture: NET12,
      numClasses: DETECTION_CLASSES,
      initializer: options.initializer ?? context.config.train.initializer,
      seed: context.runtime.seed,
    }),
});
