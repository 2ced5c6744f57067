import type { AnyPluginDefinition } from '../../core/registry.js';

/** Built-in models, registered by registerBuiltins. */
export const MODELS: AnyPluginDefinition[] = [];
