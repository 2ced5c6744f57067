import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ImageOctaves } from '../../../src/core/detect/octaves.js';
import { cropAndResize, decodeRgbFile } from '../../../src/core/image/index.js';
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
});
