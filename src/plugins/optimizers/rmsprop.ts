import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { definePlugin } from '../../core/registry.js';
import { commonOptimizerOptions } from './schedule.js';
import { ScheduledOptimizer } from './scheduled-optimizer.js';

export const rmspropOptions = z
  .object({
    learningRate: z.number().positive().default(0.001),
    /** Discount of the running mean of squared gradients (Keras calls it rho). */
    decay: z.number().positive().max(1).default(0.9),
    momentum: z.number().min(0).max(1).default(0),
    epsilon: z.number().positive().default(1e-7),
    centered: z.boolean().default(false),
    ...commonOptimizerOptions,
  })
  .strict();

declare module '../../core/config/plugin-types.js' {
  interface OptimizerTypes {
    rmsprop: z.input<typeof rmspropOptions>;
  }
}

export const rmspropPlugin = definePlugin({
  kind: 'optimizer',
  type: 'rmsprop',
  description: 'RMSProp (Hinton), optionally centered and with momentum.',
  options: rmspropOptions,
  create: (options) =>
    new ScheduledOptimizer({
      name: 'rmsprop',
      learningRate: options.learningRate,
      schedule: options.schedule,
      weightDecay: options.weightDecay,
      factory: (rate) => tf.train.rmsprop(rate, options.decay, options.momentum, options.epsilon, options.centered),
    }),
});
