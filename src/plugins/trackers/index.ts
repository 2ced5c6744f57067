import type { AnyPluginDefinition } from '../../core/registry.js';
import { consoleTrackerPlugin } from './console.js';
import { localTrackerPlugin } from './local.js';
import { mlflowTrackerPlugin } from './mlflow/index.js';

/** Built-in trackers, registered by registerBuiltins. */
export const TRACKERS: AnyPluginDefinition[] = [consoleTrackerPlugin, localTrackerPlugin, mlflowTrackerPlugin];
