import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { definePlugin } from '../../core/registry.js';
import { commonOptimizerOptions } from './schedule.js';
import { ScheduledOptimizer } from './scheduled-optimizer.js';

export const adagradOptions = z
  .object({
    learningRate: z.number().positive().default(0.01),
    initialAccumulatorValue: z.number().positive().default(0.1),
    ...commonOptimizerOptions,
  })
  .strict();

declare module '../../core/config/plugin-types.js' {
  interface OptimizerTypes {
    adagrad: z.input<typeof adagradOptions>;
  }
}

export const adagradPlugin = definePlugin({
  kind: 'optimizer',
  type: 'adagrad',
  description: 'Adagrad (Duchi et al., 2011).',
  options: adagradOptions,
  create: (options) =>
    new ScheduledOptimizer({
      name: 'adagrad',
      learningRate: options.learningRate,
      schedule: options.schedule,
      weightDecay: options.weightDecay,
      factory: (rate) => tf.train.adagrad(rate, options.initialAccumulatorValue),
    }),
});
