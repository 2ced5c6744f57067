import type { AnyPluginDefinition } from '../../core/registry.js';

/** Built-in augmenters, registered by registerBuiltins. */
export const AUGMENTERS: AnyPluginDefinition[] = [];
