import type { AnyPluginDefinition } from '../../core/registry.js';

/** Built-in optimizers, registered by registerBuiltins. */
export const OPTIMIZERS: AnyPluginDefinition[] = [];
