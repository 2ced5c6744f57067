import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { Logger } from '../../../src/core/logger.js';
import { buildSampleStore, openSampleStore, writeContactSheet } from '../../../src/core/store/index.js';
import { Random } from '../../../src/core/train/random.js';
import { LABEL_FACE, LABEL_NON_FACE, type Sample } from '../../../src/core/types.js';
import { CalibrationShifter } from '../../../src/plugins/augmenters/calibration.js';
import { NegativeSampler } from '../../../src/plugins/augmenters/negatives.js';
import { PositiveCropper } from '../../../src/plugins/augmenters/positives.js';
import { ImageFolderSource } from '../../../src/plugins/sources/image-folder.js';
import { makeTempDir, SHARED_DATA } from '../../plugins/sources/helpers.js';

const logger = new Logger({ level: 'silent' });
const temps: string[] = [];
after(async () => {
  await Promise.all(temps.map((dir) => fs.rm(dir, { recursive: true, force: true })));
});

async function cacheDir(): Promise<string> {
  const dir = await makeTempDir('store');
  temps.push(dir);
  return dir;
}

function lfwSources() {
  return [
    new ImageFolderSource({
      name: 'faces',
      root: path.join(SHARED_DATA, 'face-crops/lfw-subset-25px'),
      content: 'face-crops',
      logger,
    }),
    new ImageFolderSource({
      name: 'bg',
      root: path.join(SHARED_DATA, 'backgrounds/lfw-subset-25px'),
      content: 'backgrounds',
      logger,
    }),
  ];
}

function detectionAugmenters() {
  return [
    new PositiveCropper({ size: 12, mirror: true, minFaceSize: 0 }, logger),
    new NegativeSampler({ size: 12, windowsPerImage: 2, maxIou: 0.3, useFaceImages: true }, 7, logger),
  ];
}

/** Builds a store of the LFW crops and backgrounds, with the detection augmenters, in `dir` or a new folder. */
async function lfwStore(key: unknown, dir?: string) {
  return buildSampleStore({
    sources: lfwSources(),
    augmenters: detectionAugmenters(),
    cacheDir: dir ?? (await cacheDir()),
    logger,
    key,
  });
}

async function readAll(samples: AsyncIterable<Sample>): Promise<Sample[]> {
  const list: Sample[] = [];
  for await (const sample of samples) {
    list.push(sample);
  }
  return list;
}

describe('buildSampleStore', () => {
  test('stores and streams back every sample', async () => {
    const store = await lfwStore({ test: 'stream' });

    assert.equal(store.manifest.count, 400);
    assert.deepEqual(store.manifest.countsPerLabel, [200, 200]);
    assert.equal(store.manifest.groupCount, 200);
    assert.equal(store.manifest.size, 12);
    assert.match(store.manifest.digest, /^[0-9a-f]{64}$/);
    const samples = await readAll(store.read());
    assert.equal(samples.length, 400);
    assert.equal(samples[0]?.label, LABEL_FACE);
    assert.equal(samples[0]?.group, 'faces:000.png');
    assert.equal(samples[0]?.pixels.length, 12 * 12 * 3);
    assert.equal(samples.at(-1)?.label, LABEL_NON_FACE);
    assert.equal((await store.groups()).length, 200);
  });

  test('reuses a store with the same key', async () => {
    const dir = await cacheDir();
    const first = await lfwStore({ a: 1, b: [2] }, dir);
    // Keys with the same content in another order name the same store.
    const second = await lfwStore({ b: [2], a: 1 }, dir);
    const third = await lfwStore({ a: 2, b: [2] }, dir);

    assert.equal(second.dir, first.dir);
    assert.equal(second.manifest.createdAt, first.manifest.createdAt);
    assert.notEqual(third.dir, first.dir);
    // Seeded negatives make the rebuilt content identical.
    assert.equal(third.manifest.digest, first.manifest.digest);
    const entries = await fs.readdir(path.join(dir, 'stores'));
    assert.equal(entries.length, 2);
  });

  test('filters samples by group', async () => {
    const store = await lfwStore('filter');
    const groups = await store.groups();
    const kept = new Set(groups.slice(0, 10));
    const samples = await readAll(store.read({ filter: (group) => kept.has(group) }));
    assert.ok(samples.length > 0);
    assert.ok(samples.every((sample) => kept.has(sample.group)));
    assert.deepEqual(groups, [...groups].sort());
  });

  test('shuffled read mixes the sources', async () => {
    const store = await lfwStore('shuffle');
    const key = (sample: Sample) => `${sample.group} ${sample.label} ${Buffer.from(sample.pixels).toString('base64')}`;
    const stored = await readAll(store.read());
    const shuffled = await readAll(store.read({ shuffle: new Random(3) }));
    const again = await readAll(store.read({ shuffle: new Random(3) }));
    const other = await readAll(store.read({ shuffle: new Random(4) }));

    assert.deepEqual(shuffled.map(key).sort(), stored.map(key).sort());
    assert.deepEqual(again.map(key), shuffled.map(key));
    assert.notDeepEqual(other.map(key), shuffled.map(key));
    // The store lists the face crops before the backgrounds; a quarter of a shuffled pass has both.
    const firstQuarter = (samples: Sample[]) => new Set(samples.slice(0, 100).map((sample) => sample.label));
    assert.deepEqual(firstQuarter(stored), new Set([LABEL_FACE]));
    assert.deepEqual(firstQuarter(shuffled), new Set([LABEL_FACE, LABEL_NON_FACE]));
  });

  test('shuffled read applies the filter', async () => {
    const store = await lfwStore('shuffle-filter');
    const chosenGroups = new Set((await store.groups()).slice(0, 10));
    const filter = (group: string) => chosenGroups.has(group);
    const stored = await readAll(store.read({ filter }));
    const shuffled = await readAll(store.read({ filter, shuffle: new Random(3) }));

    assert.ok(stored.length > 0);
    assert.equal(shuffled.length, stored.length);
    assert.ok(shuffled.every((sample) => chosenGroups.has(sample.group)));
  });

  test('removes builds of dead processes', async () => {
    const dir = await cacheDir();
    const key = 'abandoned';
    const first = await lfwStore(key, dir);
    await fs.rm(first.dir, { recursive: true });
    // Process ids are below 2^22 on Linux, so this one cannot run; the current process's build stays.
    const dead = `${first.dir}.partial-4999999-abcd1234`;
    const live = `${first.dir}.partial-${process.pid}-abcd1234`;
    await fs.mkdir(dead);
    await fs.mkdir(live);

    await lfwStore(key, dir);

    const entries = await fs.readdir(path.join(dir, 'stores'));
    assert.ok(!entries.includes(path.basename(dead)));
    assert.ok(entries.includes(path.basename(live)));
  });

  test('rejects two sources with one name', async () => {
    const [faces] = lfwSources();
    await assert.rejects(
      buildSampleStore({
        sources: [faces as ImageFolderSource, faces as ImageFolderSource],
        augmenters: detectionAugmenters(),
        cacheDir: await cacheDir(),
        logger,
        key: 'twice',
      }),
      /Two data sources are named "faces"/,
    );
  });

  test('rejects augmenters of different sizes', async () => {
    const augmenters = [
      new PositiveCropper({ size: 12, mirror: false, minFaceSize: 0 }, logger),
      new PositiveCropper({ size: 24, mirror: false, minFaceSize: 0 }, logger),
    ];
    await assert.rejects(
      buildSampleStore({ sources: lfwSources(), augmenters, cacheDir: await cacheDir(), logger, key: 1 }),
      /same size: "positives" has size 12, "positives" has size 24/,
    );
  });

  test('rejects mixed class counts', async () => {
    const augmenters = [
      new PositiveCropper({ size: 12, mirror: false, minFaceSize: 0 }, logger),
      new CalibrationShifter({ size: 12, minFaceSize: 0 }, logger),
    ];
    await assert.rejects(
      buildSampleStore({ sources: lfwSources(), augmenters, cacheDir: await cacheDir(), logger, key: 1 }),
      /same number of classes: "positives" has 2, "calibration" has 45/,
    );
  });

  test('fails instead of storing nothing', async () => {
    const dir = await cacheDir();
    // Positives over face-free images produce no sample.
    const sources = [lfwSources()[1] as ImageFolderSource];
    await assert.rejects(
      buildSampleStore({
        sources,
        augmenters: [new PositiveCropper({ size: 12, mirror: false, minFaceSize: 0 }, logger)],
        cacheDir: dir,
        logger,
        key: 'empty',
      }),
      /No sample was produced: augmenters \[positives\] yielded nothing from sources \[bg\]/,
    );
    assert.deepEqual(await fs.readdir(path.join(dir, 'stores')), []);
  });
});

describe('openSampleStore', () => {
  test('detects a truncated shard', async () => {
    const store = await lfwStore('damaged');
    const shard = path.join(store.dir, store.manifest.shards[0]?.file as string);
    await fs.truncate(shard, 1000);
    await assert.rejects(openSampleStore(store.dir), /is damaged: shard-00000\.bin has 1000 bytes, expected 175200/);
  });

  test('detects a missing group table', async () => {
    const store = await lfwStore('no groups');
    await fs.rm(path.join(store.dir, 'groups.json'));
    await assert.rejects(openSampleStore(store.dir), /is damaged: groups\.json is missing or not valid JSON/);
  });

  test('rejects a folder without a manifest', async () => {
    const dir = await cacheDir();
    await assert.rejects(openSampleStore(dir), /manifest\.json is missing or not valid JSON/);
  });
});

describe('writeContactSheet', () => {
  test('writes a PNG grid of samples', async () => {
    const dir = await cacheDir();
    const store = await lfwStore('sheet', dir);
    const file = path.join(dir, 'sheet.png');
    const drawn = await writeContactSheet(store, file, { count: 16, columns: 4, seed: 3 });
    assert.equal(drawn, 16);
    const bytes = await fs.readFile(file);
    assert.equal(bytes.subarray(1, 4).toString('latin1'), 'PNG');
    // 4 columns of 64 px cells with 2 px gaps.
    assert.equal(bytes.readUInt32BE(16), 4 * 66 + 2);
  });
});

describe('sample store shards', () => {
  test('splits and streams several shards', async () => {
    const dir = await cacheDir();
    // 12x12 records are 438 bytes, so 10,000-byte shards hold 22 records each.
    const store = await buildSampleStore({
      sources: lfwSources(),
      augmenters: detectionAugmenters(),
      cacheDir: dir,
      logger,
      key: 'shards',
      shardMaxBytes: 10_000,
    });
    const single = await lfwStore('one shard', dir);

    assert.equal(store.manifest.shards.length, Math.ceil(400 / 22));
    assert.ok(
      store.manifest.shards.every((shard, index, all) => shard.count === (index < all.length - 1 ? 22 : 400 % 22)),
    );
    assert.equal(single.manifest.shards.length, 1);
    const split = await readAll(store.read());
    const whole = await readAll(single.read());
    assert.deepEqual(split, whole);
  });
});
