import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../helpers/temp-dir.js';

function cascade(...args: string[]) {
  return spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin/cascade.mjs'), ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
}

describe('cascade CLI', () => {
  it('lists the commands in --help and exits with 0', () => {
    const result = cascade('--help');
    assert.equal(result.status, 0);
    for (const command of ['exp', 'config', 'data', 'runs', 'detect', 'eval']) {
      assert.match(result.stdout, new RegExp(`^ {2}${command} `, 'm'), `--help lists "${command}"`);
    }
  });

  it('prints the parsed config of the cascade experiment', () => {
    const result = cascade('config', 'experiments/cascade.ts');
    assert.equal(result.status, 0, result.stderr);
    const config = JSON.parse(result.stdout) as { kind: string; nets: Record<string, unknown> };
    assert.equal(config.kind, 'cascade');
    assert.deepEqual(Object.keys(config.nets), ['net12', 'calib12', 'net24', 'calib24', 'net48', 'calib48']);
  });

  it('exits with 2 and shows the usage on an unknown command', () => {
    const result = cascade('train-everything');
    assert.equal(result.status, 2);
    assert.match(result.stderr, /unknown command 'train-everything'/);
  });

  it('exits with 1 and names the file when the experiment is missing', () => {
    const result = cascade('exp', 'experiments/missing.ts');
    assert.equal(result.status, 1);
    assert.equal(result.stderr.trim(), 'error: Experiment file not found: experiments/missing.ts');
  });
});
