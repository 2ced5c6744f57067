import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { cosmiconfig } from 'cosmiconfig';
import { CascadeError } from '../errors.js';
import { describe, type PluginDefinition, type PluginKind, type PluginRegistry } from '../registry.js';
import { applyOverrides, formatFieldPath, getAtPath, mergeConfig } from './overrides.js';
import { projectSchema, type ResolvedConfig, resolvedSchema } from './schema.js';

const PROJECT_FILES = ['cascade.config.ts', 'cascade.config.mts', 'cascade.config.mjs', 'cascade.config.js'];

/** One invalid field of a config. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** A config that failed validation; the message lists every invalid field. */
export class ConfigError extends CascadeError {
  override name = 'ConfigError';
  readonly issues: ConfigIssue[];

  /** `overridden` is true when `--set` overrides were applied, so a bad value may come from the command line. */
  constructor(file: string | undefined, issues: ConfigIssue[], overridden = false) {
    const where = `${file ? ` in ${path.relative(process.cwd(), file) || file}` : ''}${overridden ? ' with --set overrides' : ''}`;
    super(`Invalid config${where}:\n${issues.map((issue) => `  ${issue.path}: ${issue.message}`).join('\n')}`);
    this.issues = issues;
  }
}

/** Imports a TypeScript or JavaScript module and returns its default export. */
export async function importDefault(file: string): Promise<unknown> {
  let module: { default?: unknown };
  try {
    module = await import(pathToFileURL(file).href);
  } catch (error) {
    throw new CascadeError(`Failed to load ${file}: ${(error as Error).message}`, { cause: error });
  }
  return module.default;
}

export interface ProjectFile {
  file?: string;
  config: Record<string, unknown>;
}

/** Finds cascade.config.ts from `startDir` up to the nearest package.json and loads it. */
export async function loadProjectConfig(startDir: string): Promise<ProjectFile> {
  const explorer = cosmiconfig('cascade', {
    searchPlaces: PROJECT_FILES,
    searchStrategy: 'project',
    loaders: {
      '.ts': importDefault,
      '.mts': importDefault,
      '.mjs': importDefault,
      '.js': importDefault,
    },
  });
  const found = await explorer.search(startDir);
  if (!found || found.isEmpty) {
    return { config: {} };
  }
  if (typeof found.config !== 'object' || found.config === null) {
    throw new CascadeError(`${found.filepath} must export a config object as default (use defineProject).`);
  }
  return { file: found.filepath, config: found.config as Record<string, unknown> };
}

/** Loads plugin modules; each default-exports one plugin definition or an array of them. */
export async function loadPluginModules(registry: PluginRegistry, files: readonly string[]): Promise<void> {
  for (const file of files) {
    if (!fs.existsSync(file)) {
      throw new CascadeError(
        `Plugin module not found: ${file}. Paths in "plugins" are relative to the config file that lists them.`,
      );
    }
    const exported = await importDefault(file);
    const definitions = Array.isArray(exported) ? exported : [exported];
    for (const definition of definitions) {
      if (!isPluginDefinition(definition)) {
        throw new CascadeError(
          `Plugin module ${file} must default-export definePlugin({ kind, type, description, options, create }) or an array of them.`,
        );
      }
      registry.register(definition, file);
    }
  }
}

function isPluginDefinition(value: unknown): value is PluginDefinition {
  const candidate = value as Partial<PluginDefinition> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.kind === 'string' &&
    typeof candidate.type === 'string' &&
    typeof candidate.create === 'function' &&
    typeof candidate.options === 'object'
  );
}

export interface ResolveOptions {
  /** The experiment file (`experiments/24cal.ts`). */
  experimentFile: string;
  /** `--set path=value` overrides, applied over the merged config. */
  overrides?: readonly string[];
  /** A registry with the built-ins; plugin modules named in the config are added to it. */
  registry: PluginRegistry;
}

/**
 * Loads cascade.config.ts and the experiment file, merges them, applies overrides, loads plugin
 * modules and validates everything, so that a bad field fails before any work starts.
 */
export async function resolveConfig(options: ResolveOptions): Promise<ResolvedConfig> {
  const experimentFile = path.resolve(options.experimentFile);
  if (!fs.existsSync(experimentFile)) {
    throw new CascadeError(`Experiment file not found: ${options.experimentFile}`);
  }
  const project = await loadProjectConfig(path.dirname(experimentFile));
  const experiment = await importDefault(experimentFile);
  if (typeof experiment !== 'object' || experiment === null) {
    throw new CascadeError(`${options.experimentFile} must export an experiment as default (use defineExperiment).`);
  }
  return resolveConfigObject({
    project: project.config,
    projectFile: project.file,
    experiment: experiment as Record<string, unknown>,
    experimentFile,
    overrides: options.overrides ?? [],
    registry: options.registry,
  });
}

export interface ResolveObjectOptions {
  project: Record<string, unknown>;
  projectFile?: string;
  experiment: Record<string, unknown>;
  experimentFile?: string;
  overrides?: readonly string[];
  registry: PluginRegistry;
}

/** Merges and validates config objects; `resolveConfig` without the file loading. */
export async function resolveConfigObject(options: ResolveObjectOptions): Promise<ResolvedConfig> {
  const projectDir = options.projectFile ? path.dirname(options.projectFile) : process.cwd();
  const experimentDir = options.experimentFile ? path.dirname(options.experimentFile) : process.cwd();
  const where = options.experimentFile ?? options.projectFile;
  const overridden = (options.overrides ?? []).length > 0;

  const projectPlugins = stringArray(options.project.plugins).map((file) => path.resolve(projectDir, file));
  const experimentPlugins = stringArray(options.experiment.plugins).map((file) => path.resolve(experimentDir, file));
  // Defaults that overrides may extend (`--set optimizer.learningRate=0.01` without an optimizer in the file).
  const defaults: Record<string, unknown> = { optimizer: { type: 'adadelta' } };
  const merged = applyOverrides(
    mergeConfig(mergeConfig(defaults, options.project), options.experiment),
    options.overrides ?? [],
  );
  merged.plugins = [...projectPlugins, ...experimentPlugins];

  const parsed = resolvedSchema.safeParse(merged);
  if (!parsed.success) {
    throw new ConfigError(
      where,
      parsed.error.issues.map((issue) => ({
        path: formatFieldPath(issue.path),
        message: withReceived(issue.message, getAtPath(merged, issue.path), issue.code),
      })),
      overridden,
    );
  }
  const config: ResolvedConfig = { ...parsed.data, file: options.experimentFile, projectFile: options.projectFile };
  config.dataRoot = path.resolve(projectDir, config.dataRoot);
  config.cacheDir = path.resolve(projectDir, config.cacheDir);
  config.runsDir = path.resolve(projectDir, config.runsDir);

  await loadPluginModules(options.registry, config.plugins);
  const issues = validatePluginSpecs(options.registry, config);
  if (issues.length > 0) {
    throw new ConfigError(where, issues, overridden);
  }
  return config;
}

/** Validates every plugin spec of a resolved config against its plugin's options schema. */
export function validatePluginSpecs(registry: PluginRegistry, config: ResolvedConfig): ConfigIssue[] {
  const specs: Array<[PluginKind, unknown, string]> = [
    ...config.data.sources.map((spec, index): [PluginKind, unknown, string] => [
      'source',
      spec,
      `data.sources[${index}]`,
    ]),
    ...config.data.augmenters.map((spec, index): [PluginKind, unknown, string] => [
      'augmenter',
      spec,
      `data.augmenters[${index}]`,
    ]),
    ['model', config.model, 'model'],
    ['optimizer', config.optimizer, 'optimizer'],
    ...config.trackers.map((spec, index): [PluginKind, unknown, string] => ['tracker', spec, `trackers[${index}]`]),
  ];
  const issues: ConfigIssue[] = [];
  for (const [kind, spec, specPath] of specs) {
    for (const issue of registry.validate(kind, spec, specPath)) {
      const relative = issue.path
        .slice(specPath.length + 1)
        .split('.')
        .filter(Boolean);
      issues.push({ path: issue.path, message: withReceived(issue.message, getAtPath(spec, relative), 'custom') });
    }
  }
  return issues;
}

/** Validates a project config alone (for `cascade config` without an experiment). */
export function validateProject(config: Record<string, unknown>, file?: string): void {
  const parsed = projectSchema.safeParse(config);
  if (!parsed.success) {
    throw new ConfigError(
      file,
      parsed.error.issues.map((issue) => ({ path: formatFieldPath(issue.path), message: issue.message })),
    );
  }
}

/** Appends the offending value to a validation message, unless the message already shows it. */
export function withReceived(message: string, received: unknown, code: string): string {
  // Type errors already name the received type; add the value itself so the reader sees it.
  // A number counts as shown only in parentheses: "greater than 0" for a 0 still gets "(0)".
  const described = describe(received);
  if (
    received === undefined ||
    code === 'unrecognized_keys' ||
    message.includes(`(${described})`) ||
    (typeof received === 'string' && message.includes(described))
  ) {
    return message;
  }
  return `${message} (${described})`;
}

function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}
