import type { Command } from 'commander';

// TODO: placeholder; the 'detect' command is not written yet.
export function registerDetectCommand(_program: Command): void {}
