import type { PluginRegistry } from '../core/registry.js';
import { AUGMENTERS } from './augmenters/index.js';
import { MODELS } from './models/index.js';
import { OPTIMIZERS } from './optimizers/index.js';
import { SOURCES } from './sources/index.js';
import { TRACKERS } from './trackers/index.js';

/** Registers every built-in plugin; the one place where built-ins are listed. */
export function registerBuiltins(registry: PluginRegistry): PluginRegistry {
  for (const definition of [...SOURCES, ...AUGMENTERS, ...MODELS, ...OPTIMIZERS, ...TRACKERS]) {
    registry.register(definition);
  }
  return registry;
}
