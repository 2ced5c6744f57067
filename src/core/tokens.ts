import type { InjectionToken } from 'tsyringe';
import type { ResolvedConfig } from './config/schema.js';
import type { Logger } from './logger.js';
import type { PluginRegistry } from './registry.js';
import type { Runtime } from './runtime.js';

/** The leveled logger every component writes through. */
export const LOGGER: InjectionToken<Logger> = Symbol('cascade.Logger');
/** The plugin registry with the built-ins and the config's plugin modules. */
export const REGISTRY: InjectionToken<PluginRegistry> = Symbol('cascade.PluginRegistry');
/** The validated, merged configuration of the current command. */
export const CONFIG: InjectionToken<ResolvedConfig> = Symbol('cascade.ResolvedConfig');
/** The tfjs module with the selected backend active, plus paths and the seed. */
export const RUNTIME: InjectionToken<Runtime> = Symbol('cascade.Runtime');
