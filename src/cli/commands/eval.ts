import type { Command } from 'commander';

// TODO: placeholder; the 'eval' command is not written yet.
export function registerEvalCommand(_program: Command): void {}
