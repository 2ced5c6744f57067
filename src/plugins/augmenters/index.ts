import type { AnyPluginDefinition } from '../../core/registry.js';
import { calibrationAugmenter } from './calibration.js';
import { hardNegativesAugmenter } from './hard-negatives.js';
import { negativesAugmenter } from './negatives.js';
import { positivesAugmenter } from './positives.js';

/** Built-in augmenters, registered by registerBuiltins. */
export const AUGMENTERS: AnyPluginDefinition[] = [
  positivesAugmenter,
  negativesAugmenter,
  calibrationAugmenter,
  hardNegativesAugmenter,
];
