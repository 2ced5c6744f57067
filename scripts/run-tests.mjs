#!/usr/bin/env node
// Runs every test/**/*.test.ts file with node's test runner through tsx.
// Extra arguments are passed to `node --test`, for example --test-name-pattern=registry.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

function findTests(dir) {
  const files = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      files.push(...findTests(full));
    } else if (entry.name.endsWith('.test.ts')) {
      files.push(full);
    }
  }
  return files.sort();
}

const args = process.argv.slice(2);
const explicit = args.filter((arg) => !arg.startsWith('--'));
const flags = args.filter((arg) => arg.startsWith('--'));
const files = explicit.length > 0 ? explicit : findTests('test');
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...flags, ...files], {
  stdio: 'inherit',
  env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: process.env.TF_CPP_MIN_LOG_LEVEL ?? '2' },
});
process.exit(result.status ?? 1);
