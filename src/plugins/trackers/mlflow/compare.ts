import { CascadeError } from '../../../core/errors.js';
import { type MlflowClient, MlflowRequestError } from './client.js';
import type { Run } from './rest-types.js';

// MLflow serves at most this many runs per search page.
const SEARCH_PAGE_SIZE = 1000;
const MISSING = '-';

export interface CompareOptions {
  experiment: string;
  /** An MLflow search filter, such as `metrics.val_recall > 0.9`. */
  filter?: string;
  /** Metric keys to show; every metric of the runs when empty. */
  metrics?: string[];
  maxResults: number;
  /** MLflow `order_by` clauses; newest first by default. */
  orderBy?: string[];
}

/** Runs side by side: the params whose values differ between them and the latest metric values. */
export interface RunComparison {
  runs: Run[];
  params: string[];
  metrics: string[];
}

/** Searches the runs of an experiment and picks the params that differ and the metrics to show. */
export async function compareRuns(client: MlflowClient, options: CompareOptions): Promise<RunComparison> {
  const experiment = await client.getExperimentByName(options.experiment);
  if (!experiment) {
    throw new CascadeError(
      `MLflow experiment "${options.experiment}" not found at ${client.trackingUri}. Check the name in the MLflow UI or pass --tracking-uri for another server.`,
    );
  }

  const runs: Run[] = [];
  let pageToken: string | undefined;
  do {
    let page: Awaited<ReturnType<MlflowClient['searchRuns']>>;
    try {
      page = await client.searchRuns({
        experiment_ids: [experiment.experiment_id],
        filter: options.filter ?? '',
        max_results: Math.min(SEARCH_PAGE_SIZE, options.maxResults - runs.length),
        order_by: options.orderBy ?? ['attributes.start_time DESC'],
        page_token: pageToken,
      });
    } catch (error) {
      if (error instanceof MlflowRequestError && error.errorCode === 'INVALID_PARAMETER_VALUE') {
        throw new CascadeError(
          `MLflow rejected the search of experiment "${options.experiment}" with filter "${options.filter ?? ''}". ` +
            `Filters look like: metrics.val_recall > 0.9 and params.\`model.type\` = 'net12'.`,
          { cause: error },
        );
      }
      throw error;
    }
    runs.push(...(page.runs ?? []));
    pageToken = page.next_page_token;
  } while (pageToken && runs.length < options.maxResults);

  const paramKeys = new Set(runs.flatMap((run) => (run.data.params ?? []).map((param) => param.key)));
  const params = [...paramKeys].sort().filter((key) => {
    const values = new Set(runs.map((run) => paramValue(run, key)));
    return values.size > 1;
  });
  const metrics =
    options.metrics && options.metrics.length > 0
      ? options.metrics
      : [...new Set(runs.flatMap((run) => (run.data.metrics ?? []).map((metric) => metric.key)))].sort();
  return { runs, params, metrics };
}

/** One run of a comparison, as `--json` prints it. */
export interface ComparedRun {
  runName?: string;
  runId: string;
  status: string;
  /** The params that differ between the runs; a param that a run lacks is left out. */
  params: Record<string, string>;
  /** Latest value of each shown metric; NaN and the infinities arrive as strings. */
  metrics: Record<string, number | string>;
}

export function comparedRuns(comparison: RunComparison): ComparedRun[] {
  return comparison.runs.map((run) => {
    const params: Record<string, string> = {};
    for (const key of comparison.params) {
      const value = paramValue(run, key);
      if (value !== undefined) {
        params[key] = value;
      }
    }
    const metrics: Record<string, number | string> = {};
    for (const key of comparison.metrics) {
      const value = run.data.metrics?.find((metric) => metric.key === key)?.value;
      if (value !== undefined) {
        metrics[key] = value;
      }
    }
    return { runName: run.info.run_name, runId: run.info.run_id, status: run.info.status, params, metrics };
  });
}

// Param values longer than this many characters are shortened in the table; --json prints them whole.
const MAX_TABLE_PARAM_LENGTH = 48;

/** Formats a comparison as a plain-text table, one row per run, with long param values shortened. */
export function formatComparison(comparison: RunComparison): string {
  const header = ['run', 'id', 'status', ...comparison.params, ...comparison.metrics];
  const rows = comparedRuns(comparison).map((run) => [
    run.runName ?? MISSING,
    run.runId.slice(0, 8),
    run.status,
    ...comparison.params.map((key) => shorten(run.params[key] ?? MISSING)),
    ...comparison.metrics.map((key) => formatMetric(run.metrics[key])),
  ]);
  return formatTable(header, rows);
}

/** Pads columns to a common width; numbers are right-aligned. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const numeric = header.map(
    (_, column) => rows.length > 0 && rows.every((row) => /^-?[\d.eE+-]+$|^-$/.test(row[column] ?? '')),
  );
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => (numeric[column] ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

/** Shortens a table cell to MAX_TABLE_PARAM_LENGTH characters, ending in "...". */
export function shorten(value: string): string {
  return value.length > MAX_TABLE_PARAM_LENGTH ? `${value.slice(0, MAX_TABLE_PARAM_LENGTH - 3)}...` : value;
}

function paramValue(run: Run, key: string): string | undefined {
  return run.data.params?.find((param) => param.key === key)?.value;
}

function formatMetric(value: number | string | undefined): string {
  if (value === undefined) {
    return MISSING;
  }
  if (typeof value === 'string') {
    return value;
  }
  return Number.isInteger(value) ? String(value) : Number(value.toPrecision(4)).toString();
}
