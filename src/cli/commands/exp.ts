import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { importDefault, resolveConfig } from '../../core/config/load.js';
import { createContainer } from '../../core/container.js';
import { isCascadeExperiment, runCascadeExperiment } from '../../core/detect/cascade-experiment.js';
import { CascadeError } from '../../core/errors.js';
import { PluginRegistry } from '../../core/registry.js';
import { runExperiment } from '../../core/train/run-experiment.js';
import { registerBuiltins } from '../../plugins/builtins.js';
import { collect } from '../options.js';

export function registerExpCommand(program: Command): void {
  program
    .command('exp')
    .description('Run an experiment: build its samples, train its net, save weights and metrics.')
    .argument('<file>', 'experiment file, such as experiments/24cal.ts')
    .option('--set <path=value>', 'override a config field (repeatable), such as train.epochs=3', collect, [])
    .option('--resume', 'continue the latest run of this experiment from its last checkpoint', false)
    .option('--run-name <name>', 'run name shown in trackers (default: experiment name and time)')
    .action(async (file: string, options: { set: string[]; resume: boolean; runName?: string }) => {
      const registry = registerBuiltins(new PluginRegistry());
      if (!fs.existsSync(file)) {
        throw new CascadeError(`Experiment file not found: ${file}`);
      }
      // A cascade experiment (`kind: 'cascade'`) trains all six nets in one parent run.
      const experiment = await importDefault(path.resolve(file));
      if (isCascadeExperiment(experiment)) {
        if (options.set.length > 0 || options.resume) {
          throw new CascadeError(
            `--set and --resume apply to single-net experiments; ${file} is a cascade experiment. ` +
              'Edit the file, or train one net with its own experiment file.',
          );
        }
        await runCascadeExperiment({ file, experiment, registry });
        return;
      }
      const config = await resolveConfig({ experimentFile: file, overrides: options.set, registry });
      const container = await createContainer({ config, registry });
      await runExperiment({ container, resume: options.resume, runName: options.runName });
    });
}
