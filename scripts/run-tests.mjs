#!/usr/bin/env node
// Runs every test/**/*.test.ts file with node's test runner through tsx.
// Extra arguments are passed to `node --test`, for example --test-name-pattern=registry.
import { spawn } from 'node:child_process';
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
// Output passes through as it comes. Node's summary counts skipped tests but not skipped suites, so
// the suites skipped whole (the MLflow ones without an mlflow executable) are listed at the end.
const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...flags, ...files], {
  stdio: ['inherit', 'pipe', 'inherit'],
  env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: process.env.TF_CPP_MIN_LOG_LEVEL ?? '2' },
});
const skippedSuites = new Set();
let pending = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  const lines = (pending + chunk.toString('utf8')).split('\n');
  pending = lines.pop() ?? '';
  for (const line of lines) {
    const match = /^\s*ok \d+ - (.+?) # SKIP (.*)$/.exec(line);
    if (match && !/^\s{4}/.test(line)) {
      skippedSuites.add(`${match[1]} (${match[2]})`);
    }
  }
});
child.on('close', (code, signal) => {
  if (skippedSuites.size > 0) {
    process.stdout.write(`# suites skipped whole, not counted above: ${skippedSuites.size}\n`);
    for (const suite of skippedSuites) {
      process.stdout.write(`#   ${suite}\n`);
    }
  }
  process.exit(code ?? (signal ? 1 : 0));
});
