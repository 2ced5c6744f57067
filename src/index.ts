// Public API of cascade: config helpers, interfaces and plugin types for experiment files and plugin modules.
import 'reflect-metadata';

export type { Augmenter } from './core/augmenter.js';
export type { CascadeExperimentConfig } from './core/config/cascade-schema.js';
export { defineCascadeExperiment } from './core/config/cascade-schema.js';
export { defineExperiment, defineProject } from './core/config/define.js';
export type * from './core/config/plugin-types.js';
export type { ExperimentConfig, ProjectConfig, ResolvedConfig } from './core/config/schema.js';
export type { DataSource } from './core/data-source.js';
export { CascadeError } from './core/errors.js';
export * from './core/geometry.js';
export { Logger } from './core/logger.js';
export type { Model, ModelTask } from './core/model.js';
export type { Optimizer } from './core/optimizer.js';
export type { PluginContext, PluginDefinition, PluginKind } from './core/registry.js';
export { definePlugin, PluginRegistry } from './core/registry.js';
export type { Runtime } from './core/runtime.js';
export { resolveDataPath } from './core/runtime.js';
export type { DatasetInput, ParamValue, RunStart, RunStatus, Tracker } from './core/tracker.js';
export * from './core/types.js';
export { registerBuiltins } from './plugins/builtins.js';
