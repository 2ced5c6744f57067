import type { Command } from 'commander';
import { CascadeError } from '../../core/errors.js';
import { Logger } from '../../core/logger.js';
import { MlflowClient } from '../../plugins/trackers/mlflow/client.js';
import { comparedRuns, compareRuns, formatComparison } from '../../plugins/trackers/mlflow/compare.js';
import { readCredentials } from '../../plugins/trackers/mlflow/credentials.js';
import { collect, positiveInteger } from '../options.js';

interface CompareCommandOptions {
  experiment: string;
  filter?: string;
  metric: string[];
  orderBy: string[];
  maxResults: number;
  trackingUri?: string;
  json: boolean;
}

/** `cascade runs compare`: a table of MLflow runs with the params that differ and their metrics. */
export function registerRunsCommand(program: Command): void {
  const runs = program.command('runs').description('Inspect tracked runs in MLflow.');
  runs
    .command('compare')
    .description(
      'Print the runs of an MLflow experiment: the params that differ between them and their latest metrics.',
    )
    .requiredOption('--experiment <name>', 'MLflow experiment name, such as net12')
    .option('--filter <expression>', 'MLflow search filter, such as "metrics.val_recall > 0.9"')
    .option('--metric <key>', 'metric to show (repeatable); all metrics of the runs by default', collect, [])
    .option('--order-by <clause>', 'MLflow order clause (repeatable), such as "metrics.val_loss ASC"', collect, [])
    .option('--max-results <count>', 'maximum number of runs', positiveInteger('--max-results'), 100)
    .option('--tracking-uri <uri>', 'MLflow server URL; MLFLOW_TRACKING_URI by default')
    .option(
      '--json',
      'print the runs with their differing params (whole, where the table shortens them) and metrics as JSON instead of a table',
      false,
    )
    .action(async (options: CompareCommandOptions) => {
      const trackingUri = options.trackingUri ?? process.env.MLFLOW_TRACKING_URI;
      if (!trackingUri) {
        throw new CascadeError(
          'No MLflow server given: pass --tracking-uri or set MLFLOW_TRACKING_URI, such as http://127.0.0.1:5000.',
        );
      }
      const client = new MlflowClient({
        trackingUri,
        credentials: readCredentials(),
        logger: new Logger({ level: 'warn' }),
      });
      try {
        const comparison = await compareRuns(client, {
          experiment: options.experiment,
          filter: options.filter,
          metrics: options.metric,
          orderBy: options.orderBy.length > 0 ? options.orderBy : undefined,
          maxResults: options.maxResults,
        });
        if (options.json) {
          process.stdout.write(`${JSON.stringify(comparedRuns(comparison), null, 2)}\n`);
        } else if (comparison.runs.length === 0) {
          const filter = options.filter ? ` match "${options.filter}"` : '';
          process.stdout.write(`No runs in experiment "${options.experiment}"${filter}.\n`);
        } else {
          process.stdout.write(`${formatComparison(comparison)}\n`);
        }
      } finally {
        await client.close();
      }
    });
}
