import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { definePlugin } from '../../core/registry.js';
import { commonOptimizerOptions } from './schedule.js';
import { ScheduledOptimizer } from './scheduled-optimizer.js';

export const sgdOptions = z
  .object({
    learningRate: z.number().positive().default(0.01),
    /** Momentum coefficient; 0 gives plain SGD. */
    momentum: z.number().min(0).max(1).default(0.9),
    nesterov: z.boolean().default(false),
    ...commonOptimizerOptions,
  })
  .strict();

declare module '../../core/config/plugin-types.js' {
  interface OptimizerTypes {
    sgd: z.input<typeof sgdOptions>;
  }
}

export const sgdPlugin = definePlugin({
  kind: 'optimizer',
  type: 'sgd',
  description: 'Stochastic gradient descent, with momentum by default.',
  options: sgdOptions,
  create: (options) =>
    new ScheduledOptimizer({
      name: 'sgd',
      learningRate: options.learningRate,
      schedule: options.schedule,
      weightDecay: options.weightDecay,
      factory: (rate) =>
        options.momentum > 0 ? tf.train.momentum(rate, options.momentum, options.nesterov) : tf.train.sgd(rate),
    }),
});
