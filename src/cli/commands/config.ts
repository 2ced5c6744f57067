import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { importDefault, resolveConfig } from '../../core/config/load.js';
import { isCascadeExperiment, parseCascadeConfig } from '../../core/detect/cascade-experiment.js';
import { CascadeError } from '../../core/errors.js';
import { PluginRegistry } from '../../core/registry.js';
import { registerBuiltins } from '../../plugins/builtins.js';
import { collect } from '../options.js';

export function registerConfigCommand(program: Command): void {
  program
    .command('config')
    .description(
      'Print the resolved config of an experiment as JSON: project defaults, experiment and overrides merged and validated.',
    )
    .argument('<file>', 'experiment file, such as experiments/24cal.ts')
    .option('--set <path=value>', 'override a config field (repeatable), such as train.epochs=3', collect, [])
    .action(async (file: string, options: { set: string[] }) => {
      const registry = registerBuiltins(new PluginRegistry());
      if (!fs.existsSync(file)) {
        throw new CascadeError(`Experiment file not found: ${file}`);
      }
      // A cascade experiment contains one experiment per net; `cascade exp` merges each over the project.
      const experiment = await importDefault(path.resolve(file));
      if (isCascadeExperiment(experiment)) {
        if (options.set.length > 0) {
          throw new CascadeError(
            `--set applies to single-net experiments; ${file} is a cascade experiment. Edit the file instead.`,
          );
        }
        process.stdout.write(`${JSON.stringify(parseCascadeConfig(experiment, file), null, 2)}\n`);
        return;
      }
      const config = await resolveConfig({ experimentFile: file, overrides: options.set, registry });
      process.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
    });
}
