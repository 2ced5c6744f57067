import type { Command } from 'commander';
import { registerConfigCommand } from './config.js';
import { registerDataCommand } from './data.js';
import { registerDetectCommand } from './detect.js';
import { registerEvalCommand } from './eval.js';
import { registerExpCommand } from './exp.js';
import { registerRunsCommand } from './runs.js';

/** Every subcommand of `cascade`, in the order `--help` lists them. */
export const COMMANDS: Array<(program: Command) => void> = [
  registerExpCommand,
  registerConfigCommand,
  registerDataCommand,
  registerRunsCommand,
  registerDetectCommand,
  registerEvalCommand,
];
