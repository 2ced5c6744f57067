import 'reflect-metadata';
import { Command, CommanderError } from 'commander';
import { CascadeError, formatErrorChain } from '../core/errors.js';
import { COMMANDS } from './commands/index.js';

/** Builds the `cascade` command line with every subcommand. */
export function buildProgram(): Command {
  const program = new Command('cascade')
    .description('Train, track and run the CNN face detection cascade of Li et al. (CVPR 2015).')
    .showHelpAfterError()
    .exitOverride();
  for (const register of COMMANDS) {
    register(program);
  }
  return program;
}

/** Runs the CLI and sets the exit code: 1 for errors, 2 for usage errors. */
export async function main(argv: readonly string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      return;
    }
    process.stderr.write(`error: ${formatErrorChain(error)}\n`);
    if (!(error instanceof CascadeError) && error instanceof Error && error.stack) {
      process.stderr.write(`${error.stack}\n`);
    }
    process.exitCode = 1;
  }
}
