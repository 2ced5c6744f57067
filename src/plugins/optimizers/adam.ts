import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { definePlugin } from '../../core/registry.js';
import { commonOptimizerOptions } from './schedule.js';
import { ScheduledOptimizer } from './scheduled-optimizer.js';

export const adamOptions = z
  .object({
    learningRate: z.number().positive().default(0.001),
    beta1: z.number().positive().max(1).default(0.9),
    beta2: z.number().positive().max(1).default(0.999),
    epsilon: z.number().positive().default(1e-7),
    ...commonOptimizerOptions,
  })
  .strict();

declare module '../../core/config/plugin-types.js' {
  interface OptimizerTypes {
    adam: z.input<typeof adamOptions>;
  }
}

export const adamPlugin = definePlugin({
  kind: 'optimizer',
  type: 'adam',
  description: 'Adam (Kingma and Ba, 2015).',
  options: adamOptions,
  create: (options) =>
    new ScheduledOptimizer({
      name: 'adam',
      learningRate: options.learningRate,
      schedule: options.schedule,
      weightDecay: options.weightDecay,
      factory: (rate) => tf.train.adam(rate, options.beta1, options.beta2, options.epsilon),
    }),
});
