// The 24-net: conv 5x5x64, max-pool 3 s2, FC 128, concatenated with the frozen 12-net's FC 16 computed
// on the input downscaled to 12x12 by 2x2 average pooling, then softmax over (non-face, face).
// Layer names: input, conv1, pool1, flatten, fc1; the frozen branch net12_downscale, net12_conv1,
// net12_pool1, net12_flatten, net12_fc1; then concat and output.
import type { z } from 'zod';
import { definePlugin } from '../../core/registry.js';
import { NET12, NET24 } from './architectures.js';
import { MultiResolutionNet } from './multi-resolution-net.js';
import { netOptions, runReference } from './options.js';

export const net24Options = netOptions.extend({
  /** The trained 12-net whose FC 16 features are reused, frozen. */
  net12: runReference,
});

declare module '../../core/config/plugin-types.js' {
  interface ModelTypes {
    net24: z.input<typeof net24Options>;
  }
}

export const net24Plugin = definePlugin({
  kind: 'model',
  type: 'net24',
  description: '24-net: the second detection stage, with the frozen 12-net features.',
  options: net24Options,
  create: (options, context) =>
    new MultiResolutionNet({
      name: 'net24',
      architecture: NET24,
      chain: [NET12],
      trainedRun: options.net12,
      projectDir: context.runtime.projectDir,
      cacheDir: context.runtime.cacheDir,
      initializer: options.initializer ?? context.config.train.initializer,
      seed: context.runtime.seed,
    }),
});
