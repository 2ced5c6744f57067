import { z } from 'zod';

/** Multiplies the learning rate by `factor` every `everyEpochs` epochs. */
const stepSchedule = z
  .object({
    type: z.literal('step'),
    everyEpochs: z.number().int().positive(),
    factor: z.number().positive().max(1),
  })
  .strict();

/** Multiplies the learning rate by `factor` after every epoch: rate * factor^epoch. */
const exponentialSchedule = z
  .object({
    type: z.literal('exponential'),
    factor: z.number().positive().max(1),
  })
  .strict();

export const scheduleSchema = z.discriminatedUnion('type', [stepSchedule, exponentialSchedule]);
export type Schedule = z.output<typeof scheduleSchema>;

/** Computes the learning rate of `epoch` (0-based) under a schedule. */
export function scheduledRate(initial: number, schedule: Schedule, epoch: number): number {
  if (schedule.type === 'step') {
    return initial * schedule.factor ** Math.floor(epoch / schedule.everyEpochs);
  }
  return initial * schedule.factor ** epoch;
}

/** Options every optimizer plugin accepts besides its own. */
export const commonOptimizerOptions = {
  /** Learning-rate schedule over epochs; a constant rate when absent. */
  schedule: scheduleSchema.optional(),
  /** L2 penalty coefficient on conv and dense kernels, added to the loss. */
  weightDecay: z.number().nonnegative().default(0),
};
