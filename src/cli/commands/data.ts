import type { Command } from 'commander';

// TODO: placeholder; the 'data' command is not written yet.
export function registerDataCommand(_program: Command): void {}
