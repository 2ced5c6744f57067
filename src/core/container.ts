import 'reflect-metadata';
import { type DependencyContainer, container as rootContainer } from 'tsyringe';
import { selectBackend } from './backend.js';
import type { ResolvedConfig } from './config/schema.js';
import { Logger } from './logger.js';
import type { PluginContext, PluginInstances, PluginKind, PluginRegistry, PluginSpec } from './registry.js';
import type { Runtime } from './runtime.js';
import { CONFIG, LOGGER, REGISTRY, RUNTIME } from './tokens.js';

export interface CreateContainerOptions {
  config: ResolvedConfig;
  registry: PluginRegistry;
  logger?: Logger;
  /** Skips loading the TensorFlow backend, for commands that need none (`cascade config`). */
  skipBackend?: boolean;
}

/** Builds the DI container of one command: logger, registry, config and runtime, with the backend selected. */
export async function createContainer(options: CreateContainerOptions): Promise<DependencyContainer> {
  const { config, registry } = options;
  const logger = options.logger ?? new Logger({ level: config.logLevel });
  const runtime: Runtime = {
    backend: config.backend,
    seed: config.seed,
    projectDir: config.projectFile ? config.projectFile.replace(/[/\\][^/\\]+$/, '') : process.cwd(),
    dataRoot: config.dataRoot,
    cacheDir: config.cacheDir,
    runsDir: config.runsDir,
  };
  if (!options.skipBackend) {
    await selectBackend(config.backend, logger, config.threads === undefined ? {} : { threads: config.threads });
  }
  const container = rootContainer.createChildContainer();
  container.registerInstance(LOGGER, logger);
  container.registerInstance(REGISTRY, registry);
  container.registerInstance(CONFIG, config);
  container.registerInstance(RUNTIME, runtime);
  return container;
}

/** Creates a plugin from its spec with the context the container holds. */
export async function createPlugin<K extends PluginKind>(
  container: DependencyContainer,
  kind: K,
  spec: PluginSpec,
): Promise<PluginInstances[K]> {
  const context: PluginContext = {
    container,
    logger: container.resolve(LOGGER),
    config: container.resolve(CONFIG),
    runtime: container.resolve(RUNTIME),
  };
  return container.resolve(REGISTRY).create(kind, spec, context);
}
