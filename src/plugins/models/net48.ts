// The 48-net: conv 5x5x64, max-pool 3 s2, norm, conv 5x5x64, norm, max-pool 3 s2, FC 256. Its FC 256 is
// concatenated with the frozen 24-net's FC 128 on the input downscaled to 24x24, and with that 24-net's
// own 12-net FC 16 on the input downscaled again to 12x12. A softmax over (non-face, face) follows.
// Layer names: input, conv1, pool1, norm1, conv2, norm2, pool2, flatten, fc1; the frozen branches
// net24_downscale, net24_conv1, net24_pool1, net24_flatten, net24_fc1 and net12_downscale, net12_conv1,
// net12_pool1, net12_flatten, net12_fc1; then concat and output.
import type { z } from 'zod';
import { definePlugin } from '../../core/registry.js';
import { NET12, NET24, NET48 } from './architectures.js';
import { MultiResolutionNet } from './multi-resolution-net.js';
import { netOptions, runReference } from './options.js';

export const net48Options = netOptions.extend({
  /** The trained 24-net (with its 12-net branch) whose FC 128 + 16 features are reused, frozen. */
  net24: runReference,
});

declare module '../../core/config/plugin-types.js' {
  interface ModelTypes {
    net48: z.input<typeof net48Options>;
  }
}

export const net48Plugin = definePlugin({
  kind: 'model',
  type: 'net48',
  description: '48-net: the last detection stage, with the frozen 24-net and 12-net features.',
  options: net48Options,
  create: (options, context) =>
    new MultiResolutionNet({
      name: 'net48',
      architecture: NET48,
      chain: [NET24, NET12],
      trainedRun: options.net24,
      projectDir: context.runtime.projectDir,
      cacheDir: context.runtime.cacheDir,
      initializer: options.initializer ?? context.config.train.initializer,
      seed: context.runtime.seed,
    }),
});
