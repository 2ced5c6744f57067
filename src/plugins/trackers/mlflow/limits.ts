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

const TRUNCATION_MARK = '...';
// Keys shown in a warning about truncated or skipped entries.
const WARNING_EXAMPLES = 5;

/**
 * Turns params or tags into MLflow key-value pairs: secrets redacted, values over `maxValueLength`
 * truncated and keys over MLflow's limit left out, with one warning for each kind of problem.
 */
export function toKeyValues(
  entries: Record<string, string | number | boolean>,
  options: { what: 'param' | 'tag'; maxValueLength: number; secrets: readonly string[]; logger: Logger },
): KeyValue[] {
  const truncated: string[] = [];
  const skipped: Array<{ item: string; reason: string }> = [];
  const pairs: KeyValue[] = [];
  for (const [key, raw] of Object.entries(entries)) {
    if (key.length > MAX_KEY_LENGTH) {
      skipped.push({
        item: `${key.slice(0, 40)}...`,
        reason: `key of ${key.length} characters (limit ${MAX_KEY_LENGTH})`,
      });
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
    const shown = truncated.slice(0, WARNING_EXAMPLES).join(', ');
    const more = truncated.length > WARNING_EXAMPLES ? ` and ${truncated.length - WARNING_EXAMPLES} more` : '';
    options.logger.warn(
      `mlflow: truncated ${truncated.length} ${options.what} value(s) to MLflow's limit of ${options.maxValueLength} characters: ${shown}${more}`,
    );
  }
  options.logger.warnSkipped(`MLflow ${options.what}s`, skipped);
  return pairs;
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
