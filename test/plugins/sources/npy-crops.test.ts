import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { NpyCropsSource } from '../../../src/plugins/sources/npy-crops.js';
import { collectImages, makeTempDir } from './helpers.js';

const temps: string[] = [];
after(async () => {
  await Promise.all(temps.map((dir) => fs.rm(dir, { recursive: true, force: true })));
});

/** Encodes a .npy file the way numpy.save does: magic, version, padded header dict, raw data. */
function encodeNpy(options: {
  version: 1 | 2;
  descr: string;
  shape: number[];
  data: Uint8Array;
  fortran?: boolean;
}): Buffer {
  const dict = `{'descr': '${options.descr}', 'fortran_order': ${options.fortran ? 'True' : 'False'}, 'shape': (${options.shape.join(', ')}${options.shape.length === 1 ? ',' : ''}), }`;
  const prefix = options.version === 1 ? 10 : 12;
  const padded = `${dict.padEnd(Math.ceil((prefix + dict.length + 1) / 64) * 64 - prefix - 1, ' ')}\n`;
  const head = Buffer.alloc(prefix);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = options.version;
  head[7] = 0;
  if (options.version === 1) {
    head.writeUInt16LE(padded.length, 8);
  } else {
    head.writeUInt32LE(padded.length, 8);
  }
  return Buffer.concat([head, Buffer.from(padded, 'latin1'), options.data]);
}

async function writeNpy(name: string, bytes: Buffer): Promise<string> {
  const dir = await makeTempDir('npy');
  temps.push(dir);
  const file = path.join(dir, name);
  await fs.writeFile(file, bytes);
  return file;
}

describe('NpyCropsSource', () => {
  test('reads grey float32 crops as faces', async () => {
    // Three 2x2 crops with values 0, 0.5 and 1.
    const values = new Float32Array([0, 0, 0, 0, 0.5, 0.5, 0.5, 0.5, 1, 1, 1, 1]);
    const file = await writeNpy(
      'faces.npy',
      encodeNpy({ version: 1, descr: '<f4', shape: [3, 2, 2], data: new Uint8Array(values.buffer) }),
    );
    const images = await collectImages(new NpyCropsSource({ name: 'lfw', file, faces: true, start: 1 }).images());

    assert.equal(images.length, 2);
    assert.equal(images[0]?.id, '1');
    assert.equal(images[0]?.crop, true);
    assert.deepEqual(images[0]?.faces[0]?.box, { x: 0, y: 0, w: 2, h: 2 });
    assert.deepEqual([...(images[0]?.pixels?.data.subarray(0, 3) ?? [])], [128, 128, 128]);
    assert.deepEqual([...(images[1]?.pixels?.data.subarray(9, 12) ?? [])], [255, 255, 255]);
  });

  test('reads RGB uint8 crops as face-free', async () => {
    const data = new Uint8Array(2 * 1 * 2 * 3).map((_, index) => index * 10);
    const file = await writeNpy('bg.npy', encodeNpy({ version: 2, descr: '|u1', shape: [2, 1, 2, 3], data }));
    const images = await collectImages(
      new NpyCropsSource({ name: 'bg', file, faces: false, start: 0, end: 1 }).images(),
    );

    assert.equal(images.length, 1);
    assert.equal(images[0]?.faceFree, true);
    assert.equal(images[0]?.faces.length, 0);
    assert.deepEqual([...(images[0]?.pixels?.data ?? [])], [0, 10, 20, 30, 40, 50]);
  });

  test('rejects a file without the NumPy magic', async () => {
    const file = await writeNpy('text.npy', Buffer.from('just some text, not an array'));
    await assert.rejects(
      collectImages(new NpyCropsSource({ name: 'x', file, faces: true, start: 0 }).images()),
      /Invalid NumPy file .*text\.npy: it does not start with the \\x93NUMPY magic string/,
    );
  });

  test('rejects unsupported dtype and order', async () => {
    const int32 = await writeNpy(
      'int.npy',
      encodeNpy({ version: 1, descr: '<i4', shape: [1, 1, 1], data: new Uint8Array(4) }),
    );
    const fortran = await writeNpy(
      'f.npy',
      encodeNpy({ version: 1, descr: '|u1', shape: [1, 1, 1], data: new Uint8Array(1), fortran: true }),
    );
    await assert.rejects(
      collectImages(new NpyCropsSource({ name: 'x', file: int32, faces: true, start: 0 }).images()),
      /dtype "<i4" is not supported \(expected float32, float64 or uint8\)/,
    );
    await assert.rejects(
      collectImages(new NpyCropsSource({ name: 'x', file: fortran, faces: true, start: 0 }).images()),
      /Fortran order are not supported/,
    );
  });

  test('rejects a truncated data section', async () => {
    const file = await writeNpy(
      'short.npy',
      encodeNpy({ version: 1, descr: '|u1', shape: [4, 5, 5], data: new Uint8Array(10) }),
    );
    await assert.rejects(
      collectImages(new NpyCropsSource({ name: 'x', file, faces: true, start: 0 }).images()),
      /expected 100 data bytes for shape \(4, 5, 5\), found 10/,
    );
  });
});
