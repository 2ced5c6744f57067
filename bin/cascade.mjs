#!/usr/bin/env node
// Entry point of the `cascade` command: runs the TypeScript sources through tsx, so that
// experiment files (TypeScript) load the same way as the code that reads them.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv.slice(2));
