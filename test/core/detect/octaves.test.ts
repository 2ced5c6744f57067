import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ImageOctaves } from '../../../src/core/detect/octaves.js';
import { cropAndResize, decodeRgbFile, resampleBox } from '../../../src/core/image/index.js';
import { SHARED_DATA } from '../../helpers/temp-dir.js';

const IMAGE = path.join(SHARED_DATA, 'backgrounds/chelsea.png');

function meanAbsoluteDifference(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i += 1) {
    sum += Math.abs((a[i] as number) - (b[i] as number));
  }
  return sum / a.length;
}

describe('image octaves', () => {
  test('octave crops match direct crops', async () => {
    const image = await decodeRgbFile(IMAGE);
    const octaves = new ImageOctaves(image);
    const windows = [
      { x: 10, y: 20, w: 200, h: 200 },
      { x: 101.5, y: 33.25, w: 97, h: 97 },
      { x: 150, y: 80, w: 30, h: 30 },
      { x: -20, y: -10, w: 120, h: 120 },
    ];
    for (const window of windows) {
      for (const size of [12, 24, 48]) {
        const direct = cropAndResize(image, window, size);
        const fromOctave = octaves.crop(window, size);
        const difference = meanAbsoluteDifference(direct, fromOctave);
        assert.ok(difference < 3, `window ${JSON.stringify(window)} at ${size}: mean difference ${difference}`);
      }
    }
  });

  test('small windows read the full image', async () => {
    const image = await decodeRgbFile(IMAGE);
    const window = { x: 40, y: 50, w: 30, h: 30 };
    assert.deepEqual(new ImageOctaves(image).crop(window, 24), cropAndResize(image, window, 24));
  });

  test('octaves equal area halving', async () => {
    const full = await decodeRgbFile(IMAGE);
    // An odd width and height, so that the last column and row are dropped.
    const image = { ...full, width: full.width - 1, height: full.height - 1 };
    image.data = resampleBox(full, { x: 0, y: 0, w: image.width, h: image.height }, image.width, image.height);
    const octaves = new ImageOctaves(image);
    let previous = image;
    for (let index = 1; index <= 2; index += 1) {
      const width = Math.floor(previous.width / 2);
      const height = Math.floor(previous.height / 2);
      const source = octaves.sourceFor(image.width / 2 ** (index + 1), image.height / 2 ** (index + 1));
      assert.equal(source.scale, 2 ** -index);
      assert.deepEqual([source.image.width, source.image.height], [width, height]);
      const halved = resampleBox(previous, { x: 0, y: 0, w: width * 2, h: height * 2 }, width, height);
      assert.deepEqual(source.image.data, halved);
      previous = source.image;
    }
  });

  test('pyramid source stays the image', async () => {
    const image = await decodeRgbFile(IMAGE);
    const source = new ImageOctaves(image).sourceFor(image.width / 3.9, image.height / 3.9);
    assert.equal(source.image, image);
    assert.equal(source.scale, 1);
  });
});
