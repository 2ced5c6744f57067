import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { makeTempDir, REPO_ROOT } from '../helpers/temp-dir.js';

const GPU_ADDON = path.join(REPO_ROOT, 'node_modules/@tensorflow/tfjs-node-gpu/lib/napi-v8/tfjs_binding.node');

describe('cascade exp without a native backend', () => {
  it('stops before any work and names the setup command', {
    skip: fs.existsSync(GPU_ADDON) ? 'the tfjs-node-gpu addon is built on this machine' : undefined,
  }, () => {
    const dir = makeTempDir();
    const runsDir = path.join(dir, 'runs');
    const cacheDir = path.join(dir, 'cache');
    const result = spawnSync(
      process.execPath,
      [
        path.join(REPO_ROOT, 'bin/cascade.mjs'),
        'exp',
        'experiments/12net.ts',
        '--set',
        'backend=tensorflow-gpu',
        '--set',
        `runsDir=${JSON.stringify(runsDir)}`,
        '--set',
        `cacheDir=${JSON.stringify(cacheDir)}`,
      ],
      { cwd: REPO_ROOT, encoding: 'utf8' },
    );
    assert.equal(result.status, 1);
    assert.match(
      result.stderr,
      /^error: The native TensorFlow backend "tensorflow-gpu" did not load from @tensorflow\/tfjs-node-gpu\. Install it with "npm run setup -- --gpu"/m,
    );
    assert.equal(fs.existsSync(runsDir), false, 'no run directory is created');
    assert.equal(fs.existsSync(cacheDir), false, 'no sample store is built');
  });
});
