import type { DependencyContainer } from 'tsyringe';
import type { z } from 'zod';
import type { Augmenter } from './augmenter.js';
import type { ResolvedConfig } from './config/schema.js';
import type { DataSource } from './data-source.js';
import { CascadeError } from './errors.js';
import type { Logger } from './logger.js';
import type { Model } from './model.js';
import type { Optimizer } from './optimizer.js';
import type { Runtime } from './runtime.js';
import type { Tracker } from './tracker.js';

/** Instance type that each plugin kind creates. */
export interface PluginInstances {
  source: DataSource;
  augmenter: Augmenter;
  model: Model;
  optimizer: Optimizer;
  tracker: Tracker;
}

export type PluginKind = keyof PluginInstances;
export const PLUGIN_KINDS: readonly PluginKind[] = ['source', 'augmenter', 'model', 'optimizer', 'tracker'];

/** Config field that lists the plugins of each kind, for error messages. */
const KIND_FIELDS: Record<PluginKind, string> = {
  source: 'data.sources',
  augmenter: 'data.augmenters',
  model: 'model',
  optimizer: 'optimizer',
  tracker: 'trackers',
};

/** Context passed to a plugin's `create` besides its own options. */
export interface PluginContext {
  container: DependencyContainer;
  logger: Logger;
  config: ResolvedConfig;
  runtime: Runtime;
}

/** A plugin: a kind, a `type` name used in configs, an options schema and a factory. */
export interface PluginDefinition<K extends PluginKind = PluginKind, O = unknown> {
  kind: K;
  type: string;
  description: string;
  /** Validates the spec's fields other than `type`; parse errors name the field path. */
  options: z.ZodType<O, z.ZodTypeDef, unknown>;
  create(options: O, context: PluginContext): PluginInstances[K] | Promise<PluginInstances[K]>;
}

/** A plugin definition of any kind and option type, as the built-in lists hold them. */
// biome-ignore lint/suspicious/noExplicitAny: option types differ per plugin; the registry validates them at run time.
export type AnyPluginDefinition = PluginDefinition<PluginKind, any>;

/** Returns its argument, typed, so that a plugin module is checked by the compiler. */
export function definePlugin<K extends PluginKind, O>(definition: PluginDefinition<K, O>): PluginDefinition<K, O> {
  return definition;
}

/** A plugin spec as it appears in a config: `{ type: 'fddb', ...options }`. */
export interface PluginSpec {
  type: string;
  [option: string]: unknown;
}

/** One invalid field found while validating plugin specs. */
export interface SpecIssue {
  path: string;
  message: string;
}

interface Entry {
  definition: PluginDefinition<PluginKind, unknown>;
  /** Origin of the plugin: "built-in" or the module path that registered it. */
  origin: string;
}

/** Plugins by kind and type. Built-ins are registered in one place; plugin modules add more. */
export class PluginRegistry {
  readonly #entries = new Map<PluginKind, Map<string, Entry>>(PLUGIN_KINDS.map((kind) => [kind, new Map()]));

  register(definition: AnyPluginDefinition, origin = 'built-in'): void {
    const byType = this.#byKind(definition.kind);
    const existing = byType.get(definition.type);
    if (existing) {
      throw new CascadeError(
        `Duplicate ${definition.kind} type "${definition.type}" from ${origin}: already registered by ${existing.origin}.`,
      );
    }
    byType.set(definition.type, { definition: definition as unknown as PluginDefinition<PluginKind, unknown>, origin });
  }

  has(kind: PluginKind, type: string): boolean {
    return this.#byKind(kind).has(type);
  }

  types(kind: PluginKind): string[] {
    return [...this.#byKind(kind).keys()].sort();
  }

  definition<K extends PluginKind>(kind: K, type: string): PluginDefinition<K, unknown> {
    const entry = this.#byKind(kind).get(type);
    if (!entry) {
      const known = this.types(kind);
      throw new CascadeError(
        `Unknown ${kind} type "${type}". Known ${kind} types: ${known.length > 0 ? known.join(', ') : '(none)'}. ` +
          `A third-party ${kind} must be listed in the config's "plugins" so that it is registered.`,
      );
    }
    return entry.definition as unknown as PluginDefinition<K, unknown>;
  }

  /** Validates a spec against its plugin's options schema; returns the issues, with `path` as the spec's field path. */
  validate(kind: PluginKind, spec: unknown, path: string): SpecIssue[] {
    if (typeof spec !== 'object' || spec === null || typeof (spec as PluginSpec).type !== 'string') {
      return [
        {
          path: `${path}.type`,
          message: `expected a ${kind} type (one of: ${this.types(kind).join(', ')}), received ${describe(spec)}`,
        },
      ];
    }
    const { type, ...options } = spec as PluginSpec;
    if (!this.has(kind, type)) {
      return [
        {
          path: `${path}.type`,
          message: `unknown ${kind} type "${type}"; known ${kind} types: ${this.types(kind).join(', ')}`,
        },
      ];
    }
    const result = this.definition(kind, type).options.safeParse(options);
    if (result.success) {
      return [];
    }
    return result.error.issues.map((issue) => ({
      path: [path, ...issue.path.map(String)].join('.'),
      message: issue.message,
    }));
  }

  /** Creates a plugin instance from a spec; the spec must have passed `validate`. */
  async create<K extends PluginKind>(kind: K, spec: PluginSpec, context: PluginContext): Promise<PluginInstances[K]> {
    const definition = this.definition(kind, spec.type);
    const { type: _type, ...options } = spec;
    const parsed = definition.options.safeParse(options);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(options)'}: ${issue.message}`);
      throw new CascadeError(`Invalid options for ${kind} "${spec.type}" (${KIND_FIELDS[kind]}): ${issues.join('; ')}`);
    }
    context.logger.debug(`creating ${kind} "${spec.type}" (${this.#byKind(kind).get(spec.type)?.origin})`);
    return definition.create(parsed.data, context);
  }

  #byKind(kind: PluginKind): Map<string, Entry> {
    const byType = this.#entries.get(kind);
    if (!byType) {
      throw new CascadeError(`Unknown plugin kind "${kind}". Plugin kinds: ${PLUGIN_KINDS.join(', ')}.`);
    }
    return byType;
  }
}

/** Describes a received value for an error message: its JSON form, shortened. */
export function describe(value: unknown): string {
  if (value === undefined) {
    return 'undefined';
  }
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
