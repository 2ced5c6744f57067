#!/usr/bin/env node
// Runs a TypeScript script (benchmarks, tools) with tsx: node bin/run-ts.mjs bench/train.ts [args].
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

const [script, ...rest] = process.argv.slice(2);
if (!script) {
  process.stderr.write('usage: node bin/run-ts.mjs <script.ts> [args...]\n');
  process.exit(2);
}
register();
process.argv = [process.argv[0], path.resolve(script), ...rest];
await import(pathToFileURL(path.resolve(script)).href);
