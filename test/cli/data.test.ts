import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { openSampleStore } from '../../src/core/store/index.js';
import { makeTempDir, SHARED_DATA } from '../plugins/sources/helpers.js';

const CLI = path.resolve(import.meta.dirname, '../../bin/cascade.mjs');
const temps: string[] = [];
after(async () => {
  await Promise.all(temps.map((dir) => fs.rm(dir, { recursive: true, force: true })));
});

function cascade(args: string[], cwd: string) {
  return spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8' });
}

describe('cascade data', () => {
  test('calibration on FDDB yields all 45 labels', async () => {
    const dir = await makeTempDir('cli');
    temps.push(dir);
    const result = cascade(
      [
        'data',
        'calibration',
        '--size',
        '24',
        '--source',
        `fddb:${path.join(SHARED_DATA, 'fddb')}`,
        '--cache-dir',
        'cache',
      ],
      dir,
    );
    assert.equal(result.status, 0, result.stderr);
    const storeDir = result.stdout.trim();
    assert.ok(storeDir.startsWith(path.join(dir, 'cache', 'stores')));

    const store = await openSampleStore(storeDir);
    assert.equal(store.manifest.numClasses, 45);
    assert.equal(store.manifest.countsPerLabel.length, 45);
    assert.ok(store.manifest.countsPerLabel.every((count) => count === 221));
    assert.match(result.stderr, /9945 samples from 133 images/);

    const sheet = cascade(['data', 'inspect', storeDir, '--output', 'sheet.png', '--count', '20'], dir);
    assert.equal(sheet.status, 0, sheet.stderr);
    assert.equal(sheet.stdout.trim(), path.join(dir, 'sheet.png'));
    const png = await fs.readFile(path.join(dir, 'sheet.png'));
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
  });

  test('positives then negatives reuse and build stores', async () => {
    const dir = await makeTempDir('cli');
    temps.push(dir);
    const faces = path.join(SHARED_DATA, 'face-crops/lfw-subset-25px');
    const args = ['data', 'positives', '--size', '12', '--input', faces, '--cache-dir', 'cache'];
    const first = cascade(args, dir);
    const second = cascade(args, dir);
    assert.equal(first.status, 0, first.stderr);
    assert.equal(second.stdout, first.stdout);
    assert.match(second.stderr, /reusing sample store/);

    const twoFolders = cascade([...args, '--input', path.join(SHARED_DATA, 'face-crops/orl')], dir);
    assert.equal(twoFolders.status, 0, twoFolders.stderr);
    const both = await openSampleStore(twoFolders.stdout.trim());
    assert.equal(both.manifest.count, 500);
    assert.ok((await both.groups()).includes('image-folder-2:s1/1.png'));

    const negatives = cascade(
      [
        'data',
        'negatives',
        '--size',
        '12',
        '--input',
        path.join(SHARED_DATA, 'backgrounds'),
        '--windows-per-image',
        '3',
        '--cache-dir',
        'cache',
      ],
      dir,
    );
    assert.equal(negatives.status, 0, negatives.stderr);
    const store = await openSampleStore(negatives.stdout.trim());
    assert.equal(store.manifest.countsPerLabel[1], 0);
    assert.equal(store.manifest.countsPerLabel[0], 122 * 3);
  });

  test('missing input fails with a message', async () => {
    const dir = await makeTempDir('cli');
    temps.push(dir);
    const noInput = cascade(['data', 'positives', '--size', '12'], dir);
    assert.equal(noInput.status, 1);
    assert.match(noInput.stderr, /needs at least one --input folder or --source type:path/);

    const badSize = cascade(['data', 'positives', '--size', '20', '--input', '.'], dir);
    assert.equal(badSize.status, 1);
    assert.match(badSize.stderr, /augmenter\.size: expected a crop size of 12, 24 or 48 pixels/);

    const badType = cascade(['data', 'calibration', '--size', '12', '--source', 'pascal:/tmp'], dir);
    assert.equal(badType.status, 1);
    assert.match(badType.stderr, /unknown source type "pascal"; known source types: aflw, backgrounds, fddb/);
  });
});
