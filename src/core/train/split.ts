import { Random } from './random.js';

/** A validation split of groups (source images). */
export interface GroupSplit {
  isValidation(group: string): boolean;
  trainGroups: number;
  validationGroups: number;
}

/**
 * Splits groups (source images), not crops, so that all crops of one face land on one side.
 * The groups are shuffled with the seed, and the first `fraction` of them are held out. When the
 * fraction is positive and there are two or more groups, at least one group is held out.
 */
export function splitGroups(groups: readonly string[], fraction: number, seed: number): GroupSplit {
  const shuffled = new Random(seed).shuffle([...groups].sort());
  let count = Math.round(shuffled.length * fraction);
  if (fraction > 0 && count === 0 && shuffled.length >= 2) {
    count = 1;
  }
  const validation = new Set(shuffled.slice(0, count));
  return {
    isValidation: (group) => validation.has(group),
    trainGroups: shuffled.length - count,
    validationGroups: count,
  };
}
