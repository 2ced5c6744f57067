import type { Command } from 'commander';

// TODO: placeholder; the 'runs' command is not written yet.
export function registerRunsCommand(_program: Command): void {}
