import { z } from 'zod';
import { definePlugin } from '../../core/registry.js';
import { AdadeltaOptimizer } from './adadelta-optimizer.js';
import { commonOptimizerOptions } from './schedule.js';
import { ScheduledOptimizer } from './scheduled-optimizer.js';

// Defaults of the reference implementation that the experiments follow.
const DEFAULT_LEARNING_RATE = 0.001;
const DEFAULT_RHO = 0.95;
const DEFAULT_EPSILON = 1e-8;

export const adadeltaOptions = z
  .object({
    learningRate: z.number().positive().default(DEFAULT_LEARNING_RATE),
    rho: z.number().positive().max(1).default(DEFAULT_RHO),
    epsilon: z.number().positive().default(DEFAULT_EPSILON),
    ...commonOptimizerOptions,
  })
  .strict();

declare module '../../core/config/plugin-types.js' {
  interface OptimizerTypes {
    adadelta: z.input<typeof adadeltaOptions>;
  }
}

export const adadeltaPlugin = definePlugin({
  kind: 'optimizer',
  type: 'adadelta',
  description: 'Adadelta (Zeiler, 2012); the default optimizer of every experiment.',
  options: adadeltaOptions,
  create: (options) =>
    new ScheduledOptimizer({
      name: 'adadelta',
      learningRate: options.learningRate,
      schedule: options.schedule,
      weightDecay: options.weightDecay,
      factory: (rate) => new AdadeltaOptimizer(rate, options.rho, options.epsilon),
    }),
});
