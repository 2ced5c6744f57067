import path from 'node:path';
import type { Logger } from '../../../core/logger.js';
import { redactSecrets } from './credentials.js';
import type { KeyValue, MetricValue } from './rest-types.js';

// Limits of MLflow 3.17 (mlflow/utils/validation.py): entries per log-batch request and value lengths.
export const MAX_METRICS_PER_BATCH = 1000;
export const MAX_PARAMS_TAGS_PER_BATCH = 100;
export const MAX_PARAM_VALUE_LENGTH = 6000;
export const MAX_TAG_VALUE_LENGTH = 8000;
export const MAX_KEY_LENGTH = 250;
export const MAX_DATASET_DIGEST_LENGTH = 36;

// Characters MLflow accepts in param, metric and tag keys on Linux and macOS (Python's \w is Unicode-aware).
const VALID_KEY = /^[/\p{L}\p{N}_.\- :]*$/u;
const TRUNCATION_MARK = '...';
// Keys shown in a warning about truncated or skipped entries.
const WARNING_EXAMPLES = 5;

/**
 * Turns params or tags into MLflow key-value pairs: secrets redacted, values over `maxValueLength`
 * truncated and keys that MLflow rejects left out, with one warning for each kind of problem.
 */
export function toKeyValues(
  entries: Record<string, string | number | boolean>,
  options: { what: 'param' | 'tag'; maxValueLength: number; secrets: readonly string[]; logger: Logger },
): KeyValue[] {
  const truncated: string[] = [];
  const skipped: Array<{ item: string; reason: string }> = [];
  const pairs: KeyValue[] = [];
  for (const [key, raw] of Object.entries(entries)) {
    const reason = invalidKeyReason(key);
    if (reason) {
      skipped.push({ item: key.length > 60 ? `${key.slice(0, 57)}...` : key, reason });
      continue;
    }
    let value = redactSecrets(String(raw), options.secrets);
    if (value.length > options.maxValueLength) {
      truncated.push(`${key} (${value.length} characters)`);
      value = value.slice(0, options.maxValueLength - TRUNCATION_MARK.length) + TRUNCATION_MARK;
    }
    pairs.push({ key, value });
  }

  if (truncated.length > 0) {
    const examples = truncated.slice(0, WARNING_EXAMPLES).join(', ');
    const more = truncated.length > WARNING_EXAMPLES ? ` and ${truncated.length - WARNING_EXAMPLES} more` : '';
    options.logger.warn(
      `mlflow: truncated ${truncated.length} ${options.what} value(s) to MLflow's limit of ${options.maxValueLength} characters: ${examples}${more}`,
    );
  }
  options.logger.warnSkipped(`MLflow ${options.what}s`, skipped);
  return pairs;
}

/**
 * Returns why MLflow would reject a param, metric or tag key, or undefined for a valid key. MLflow
 * rejects the whole request over one bad key, so callers leave such keys out before sending.
 */
export function invalidKeyReason(key: string): string | undefined {
  if (key === '') {
    return 'empty key';
  }
  if (key.length > MAX_KEY_LENGTH) {
    return `key of ${key.length} characters (limit ${MAX_KEY_LENGTH})`;
  }
  if (!VALID_KEY.test(key)) {
    return 'keys may only contain letters, digits, underscores, dashes, periods, spaces, colons and slashes';
  }
  const normalized = path.posix.normalize(key);
  if (normalized !== key || normalized === '.' || normalized.startsWith('..') || normalized.startsWith('/')) {
    return 'keys must be normalized relative paths (no leading slash, "..", "./" or "//")';
  }
  return undefined;
}

/** Splits a list into consecutive chunks of at most `size` items. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) {
    chunks.push(items.slice(start, start + size));
  }
  return chunks;
}

/** Encodes a metric value for JSON: MLflow takes NaN and the infinities as strings. */
export function encodeMetricValue(value: number): MetricValue {
  if (Number.isNaN(value)) {
    return 'NaN';
  }
  if (value === Number.POSITIVE_INFINITY) {
    return 'Infinity';
  }
  if (value === Number.NEGATIVE_INFINITY) {
    return '-Infinity';
  }
  return value;
}
