import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import {
  cropAndResize,
  cropAndResizeMany,
  decodeRgbFile,
  loadRgb,
  type RgbImage,
} from '../../../src/core/image/index.js';
import { SHARED_DATA } from '../../plugins/sources/helpers.js';

/** Builds a width x height image whose pixel (x, y) has red x, green y and blue 7. */
function gradient(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      data.set([x, y, 7], (y * width + x) * 3);
    }
  }
  return { data, width, height, channels: 3 };
}

function pixel(crop: Uint8Array, size: number, x: number, y: number): number[] {
  return [...crop.subarray((y * size + x) * 3, (y * size + x) * 3 + 3)];
}

describe('cropAndResize', () => {
  test('copies a crop of the same size', () => {
    const crop = cropAndResize(gradient(40, 30), { x: 5, y: 6, w: 12, h: 12 }, 12);
    assert.deepEqual(pixel(crop, 12, 0, 0), [5, 6, 7]);
    assert.deepEqual(pixel(crop, 12, 11, 11), [16, 17, 7]);
  });

  test('shrinks by area averaging', () => {
    // Each output pixel averages a 2x2 block: red (x + x + 1) / 2 rounds to x + 0.5, and so on.
    const crop = cropAndResize(gradient(40, 40), { x: 0, y: 0, w: 24, h: 24 }, 12);
    assert.deepEqual(pixel(crop, 12, 0, 0), [1, 1, 7]);
    assert.deepEqual(pixel(crop, 12, 3, 5), [7, 11, 7]);
  });

  test('pads with black past the image', () => {
    const crop = cropAndResize(gradient(20, 20), { x: -12, y: 0, w: 24, h: 24 }, 12);
    assert.deepEqual(pixel(crop, 12, 0, 0), [0, 0, 0]);
    assert.deepEqual(pixel(crop, 12, 5, 0), [0, 0, 0]);
    assert.deepEqual(pixel(crop, 12, 6, 0), [1, 1, 7]);
    // Rows 10 and 11 cover source rows 20..23, all below the image.
    assert.deepEqual(pixel(crop, 12, 8, 11), [0, 0, 0]);
  });

  test('enlarges bilinearly', () => {
    const crop = cropAndResize(gradient(10, 10), { x: 0, y: 0, w: 6, h: 6 }, 12);
    // Output x 1 samples source x 0.25, between red 0 and 1.
    assert.deepEqual(pixel(crop, 12, 1, 1), [0, 0, 7]);
    assert.deepEqual(pixel(crop, 12, 2, 2), [1, 1, 7]);
    assert.deepEqual(pixel(crop, 12, 11, 0), [5, 0, 7]);
  });

  test('mirrors left to right', () => {
    const image = gradient(40, 30);
    const box = { x: 3, y: 4, w: 12, h: 12 };
    const plain = cropAndResize(image, box, 12);
    const mirrored = cropAndResize(image, box, 12, { mirror: true });
    assert.deepEqual(pixel(mirrored, 12, 0, 2), pixel(plain, 12, 11, 2));
    assert.deepEqual(pixel(mirrored, 12, 11, 7), pixel(plain, 12, 0, 7));
  });

  test('returns black for an empty box', () => {
    const crop = cropAndResize(gradient(10, 10), { x: 0, y: 0, w: 0, h: 5 }, 12);
    assert.ok(crop.every((value) => value === 0));
    assert.equal(crop.length, 12 * 12 * 3);
  });
});

describe('loadRgb', () => {
  test('expands a grey PNG to three channels', async () => {
    const rgb = await decodeRgbFile(path.join(SHARED_DATA, 'face-crops/orl/s1/1.png'));
    assert.equal(rgb.width, 92);
    assert.equal(rgb.height, 112);
    assert.equal(rgb.data.length, 92 * 112 * 3);
    assert.equal(rgb.data[0], rgb.data[1]);
    assert.equal(rgb.data[1], rgb.data[2]);
  });

  test('uses decoded pixels when the image has them', async () => {
    const pixels = gradient(4, 3);
    const rgb = await loadRgb({
      id: '0',
      source: 's',
      path: '/nonexistent.npy',
      width: 4,
      height: 3,
      faces: [],
      pixels,
    });
    assert.equal(rgb, pixels);
  });

  test('names the file that fails to decode', async () => {
    await assert.rejects(decodeRgbFile('/nonexistent/face.jpg'), /Failed to decode image \/nonexistent\/face\.jpg/);
  });
});

describe('cropAndResizeMany', () => {
  test('matches cropAndResize within rounding', async () => {
    const rgb = await decodeRgbFile(path.join(SHARED_DATA, 'fddb/originalPics/2002/07/19/big/img_423.jpg'));
    // Shifted and scaled windows around a face, some past the image border.
    const boxes = Array.from({ length: 12 }, (_, index) => ({
      x: -30 + index * 37.3,
      y: 20 + index * 11.6,
      w: 60 + index * 13.1,
      h: 60 + index * 13.1,
    }));
    for (const size of [12, 24, 48]) {
      const many = cropAndResizeMany(rgb, boxes, size);
      for (const [index, box] of boxes.entries()) {
        const single = cropAndResize(rgb, box, size);
        const largest = single.reduce(
          (max, value, at) => Math.max(max, Math.abs(value - (many[index]?.[at] ?? -99))),
          0,
        );
        assert.ok(largest <= 1, `size ${size}, box ${index}: differs by ${largest}`);
      }
    }
  });

  test('pads with black and mirrors', () => {
    const image = gradient(40, 40);
    const boxes = [0, 1, 2, 3].map((index) => ({ x: -12 + index, y: 0, w: 24, h: 24 }));
    const [first] = cropAndResizeMany(image, boxes, 12);
    const [mirrored] = cropAndResizeMany(image, boxes, 12, { mirror: true });
    assert.deepEqual(pixel(first as Uint8Array, 12, 0, 0), [0, 0, 0]);
    assert.deepEqual(pixel(first as Uint8Array, 12, 6, 0), [1, 1, 7]);
    assert.deepEqual(pixel(mirrored as Uint8Array, 12, 11, 0), [0, 0, 0]);
    assert.deepEqual(pixel(mirrored as Uint8Array, 12, 5, 0), [1, 1, 7]);
  });
});
