import { CascadeError } from '../errors.js';

/** Splits `data.sources[0].root` or `data.sources.0.root` into path segments. */
export function parseFieldPath(path: string): Array<string | number> {
  const segments: Array<string | number> = [];
  for (const part of path.split('.')) {
    const match = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!match || (match[1] === '' && match[2] === '')) {
      throw new CascadeError(`Invalid field path "${path}": expected names separated by dots, such as train.epochs.`);
    }
    if (match[1] !== '') {
      segments.push(/^\d+$/.test(match[1] ?? '') ? Number(match[1]) : (match[1] as string));
    }
    for (const index of (match[2] ?? '').matchAll(/\[(\d+)\]/g)) {
      segments.push(Number(index[1]));
    }
  }
  return segments;
}

/** Formats path segments as `data.sources[0].root`. */
export function formatFieldPath(segments: ReadonlyArray<string | number>): string {
  let text = '';
  for (const segment of segments) {
    if (typeof segment === 'number') {
      text += `[${segment}]`;
    } else {
      text += text === '' ? segment : `.${segment}`;
    }
  }
  return text || '(root)';
}

/** Reads the value at a path, or undefined where the path does not exist. */
export function getAtPath(value: unknown, segments: ReadonlyArray<string | number>): unknown {
  let current = value;
  for (const segment of segments) {
    if (current === null || typeof current !== 'object') {
      return undefined;
    }
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

/** Parses an override value: JSON where it parses (numbers, booleans, arrays, quoted strings), else the raw string. */
export function parseOverrideValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Applies `--set path=value` overrides to a plain config object, in order, creating
 * missing objects on the way. Returns a new object; the input is not changed.
 */
export function applyOverrides<T extends object>(config: T, overrides: readonly string[]): T {
  const result = structuredClone(config) as Record<string | number, unknown>;
  for (const override of overrides) {
    const equals = override.indexOf('=');
    if (equals <= 0) {
      throw new CascadeError(`Invalid override "${override}": expected path=value, such as train.epochs=3.`);
    }
    const segments = parseFieldPath(override.slice(0, equals));
    const value = parseOverrideValue(override.slice(equals + 1));
    let target: Record<string | number, unknown> = result;
    for (const [index, segment] of segments.entries()) {
      if (index === segments.length - 1) {
        target[segment] = value;
        break;
      }
      const next = target[segment];
      if (next === undefined || next === null) {
        target[segment] = typeof segments[index + 1] === 'number' ? [] : {};
      } else if (typeof next !== 'object') {
        throw new CascadeError(
          `Invalid override "${override}": ${formatFieldPath(segments.slice(0, index + 1))} is ${JSON.stringify(next)}, not an object.`,
        );
      }
      target = target[segment] as Record<string | number, unknown>;
    }
  }
  return result as T;
}

/** Merges plain objects recursively; arrays and other values from `over` replace those in `base`. */
export function mergeConfig<T extends Record<string, unknown>>(base: T, over: Record<string, unknown>): T {
  const result: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = result[key];
    if (isPlainObject(current) && isPlainObject(value)) {
      result[key] = mergeConfig(current, value);
    } else if (value !== undefined) {
      result[key] = value;
    }
  }
  return result as T;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
