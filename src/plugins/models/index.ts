import type { AnyPluginDefinition } from '../../core/registry.js';
import { calib12Plugin } from './calib12.js';
import { calib24Plugin } from './calib24.js';
import { calib48Plugin } from './calib48.js';
import { net12Plugin } from './net12.js';
import { net24Plugin } from './net24.js';
import { net48Plugin } from './net48.js';

/** Built-in models, registered by registerBuiltins. */
export const MODELS: AnyPluginDefinition[] = [
  net12Plugin,
  net24Plugin,
  net48Plugin,
  calib12Plugin,
  calib24Plugin,
  calib48Plugin,
];
