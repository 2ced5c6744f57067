/**
 * Flattens a config object into MLflow params: nested keys joined with dots and array items by
 * index (`train.batchSize`, `data.sources.0.type`). Strings stay as they are, other values are
 * written as JSON, empty objects and arrays as `{}` and `[]`. Undefined values and functions are left out.
 */
export function flattenParams(value: unknown, prefix = ''): Record<string, string> {
  const params: Record<string, string> = {};
  addFlattened(params, value, prefix);
  return params;
}

function addFlattened(params: Record<string, string>, value: unknown, key: string): void {
  if (value === undefined || typeof value === 'function') {
    return;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) {
      setParam(params, key, '[]');
    }
    value.forEach((item, index) => {
      addFlattened(params, item, joinKey(key, String(index)));
    });
    return;
  }
  if (typeof value === 'object' && value !== null && !(value instanceof Date)) {
    const entries = Object.entries(value);
    if (entries.length === 0) {
      setParam(params, key, '{}');
    }
    for (const [name, item] of entries) {
      addFlattened(params, item, joinKey(key, name));
    }
    return;
  }
  setParam(params, key, typeof value === 'string' ? value : JSON.stringify(value));
}

function setParam(params: Record<string, string>, key: string, value: string): void {
  // A bare scalar at the top level has no key of its own.
  params[key === '' ? 'value' : key] = value;
}

function joinKey(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}.${name}`;
}
