import type { z } from 'zod';
import type { earlyStoppingSchema } from '../config/train-schema.js';
import { CascadeError } from '../errors.js';
import type { TrainState } from './checkpoint.js';

/**
 * Updates the early-stopping counters after an epoch and sets `state.stopReason` once the metric
 * has not improved by more than `minDelta` for `patience` epochs. Returns true when this epoch is
 * the best so far.
 */
export function updateEarlyStopping(
  state: TrainState,
  metrics: Record<string, number>,
  settings: z.output<typeof earlyStoppingSchema>,
): boolean {
  const value = metrics[settings.metric];
  if (value === undefined) {
    throw new CascadeError(
      `train.earlyStopping.metric is "${settings.metric}", but the epoch logged only: ${Object.keys(metrics).join(', ')}.`,
    );
  }
  const best = state.bestValue;
  const improved =
    best === undefined ||
    (settings.mode === 'min' ? value < best - settings.minDelta : value > best + settings.minDelta);
  if (improved) {
    state.bestValue = value;
    state.bestEpoch = metrics.epoch;
    state.epochsWithoutImprovement = 0;
    return true;
  }
  state.epochsWithoutImprovement += 1;
  if (state.epochsWithoutImprovement >= settings.patience) {
    const epochs = settings.patience === 1 ? '1 epoch' : `${settings.patience} epochs`;
    state.stopReason =
      `early stopping: ${settings.metric} did not improve for ${epochs} ` +
      `(best ${best === undefined ? '?' : Number(best.toPrecision(5))} at epoch ${state.bestEpoch ?? '?'})`;
  }
  return false;
}
