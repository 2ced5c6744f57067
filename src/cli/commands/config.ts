import type { Command } from 'commander';
import { resolveConfig } from '../../core/config/load.js';
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
      const config = await resolveConfig({ experimentFile: file, overrides: options.set, registry });
      process.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
    });
}
