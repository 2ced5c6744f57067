import { z } from 'zod';
import { INITIALIZERS } from '../../core/config/train-schema.js';

/** Options every net accepts. */
export const netOptions = z
  .object({
    /** Kernel initializer; `train.initializer` when absent. */
    initializer: z.enum(INITIALIZERS).optional(),
  })
  .strict();

/** A trained run: a run directory (`runs/12net/latest`) or a run id. */
export const runReference = z.string().min(1, 'expected a run directory such as runs/12net/latest');
