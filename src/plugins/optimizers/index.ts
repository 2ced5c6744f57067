import type { AnyPluginDefinition } from '../../core/registry.js';
import { adadeltaPlugin } from './adadelta.js';
import { adagradPlugin } from './adagrad.js';
import { adamPlugin } from './adam.js';
import { rmspropPlugin } from './rmsprop.js';
import { sgdPlugin } from './sgd.js';

/** Built-in optimizers, registered by registerBuiltins. */
export const OPTIMIZERS: AnyPluginDefinition[] = [adadeltaPlugin, sgdPlugin, adamPlugin, rmspropPlugin, adagradPlugin];
