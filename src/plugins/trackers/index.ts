import type { AnyPluginDefinition } from '../../core/registry.js';

/** Built-in trackers, registered by registerBuiltins. */
export const TRACKERS: AnyPluginDefinition[] = [];
