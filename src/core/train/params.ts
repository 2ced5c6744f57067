import type { ResolvedConfig } from '../config/schema.js';
import type { ParamValue } from '../tracker.js';

/** Flattens a config into `a.b.c` params; arrays become JSON strings. */
export function flattenParams(config: ResolvedConfig): Record<string, ParamValue> {
  const params: Record<string, ParamValue> = {};
  const visit = (value: unknown, prefix: string): void => {
    if (value === undefined || value === null) {
      return;
    }
    if (Array.isArray(value)) {
      params[prefix] = JSON.stringify(value);
    } else if (typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        visit(item, prefix ? `${prefix}.${key}` : key);
      }
    } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      params[prefix] = value;
    }
  };
  const { file: _file, projectFile: _projectFile, ...rest } = config;
  visit(rest, '');
  return params;
}
