import type { AnyPluginDefinition } from '../../core/registry.js';

/** Built-in sources, registered by registerBuiltins. */
export const SOURCES: AnyPluginDefinition[] = [];
