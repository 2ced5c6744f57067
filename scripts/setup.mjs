#!/usr/bin/env node
// Builds the native parts after `npm ci --ignore-scripts`: the better-sqlite3 addon (its
// prebuilt download host is unreachable here, so node-gyp compiles it) and the TensorFlow addon
// (scripts/setup-tensorflow.mjs). Arguments such as --gpu and --force go to the TensorFlow step.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PROJECT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function log(message) {
  process.stderr.write(`[setup] ${message}\n`);
}

function sqliteLoads() {
  const probe = "const D = require('better-sqlite3'); new D(':memory:').close();";
  return spawnSync(process.execPath, ['-e', probe], { cwd: PROJECT_DIR }).status === 0;
}

function buildSqlite() {
  if (sqliteLoads()) {
    log('better-sqlite3 already loads');
    return;
  }
  log('building better-sqlite3 with node-gyp (about a minute on 2 cores)');
  const env = { ...process.env };
  if (!env.npm_config_nodedir && fs.existsSync('/usr/include/node/node_api.h')) {
    env.npm_config_nodedir = '/usr';
  }
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['rebuild', 'better-sqlite3'], { cwd: PROJECT_DIR, env, stdio: 'inherit' });
  if (result.status !== 0 || !sqliteLoads()) {
    log('building better-sqlite3 failed; see the node-gyp output above (it needs make, g++ and python3)');
    process.exit(1);
  }
}

buildSqlite();
const tensorflow = spawnSync(
  process.execPath,
  [path.join(PROJECT_DIR, 'scripts/setup-tensorflow.mjs'), ...process.argv.slice(2)],
  {
    stdio: 'inherit',
  },
);
process.exit(tensorflow.status ?? 1);
