import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { Logger } from '../../../src/core/logger.js';
import { AflwSource } from '../../../src/plugins/sources/aflw.js';
import { ellipseBounds, FddbSource } from '../../../src/plugins/sources/fddb.js';
import { ImageFolderSource } from '../../../src/plugins/sources/image-folder.js';
import { ImglabSource } from '../../../src/plugins/sources/imglab.js';
import { WiderFaceSource } from '../../../src/plugins/sources/wider-face.js';
import { collectImages, SHARED_DATA } from './helpers.js';

const logger = new Logger({ level: 'silent' });
const FDDB_DEFAULTS = { foldsDir: 'FDDB-folds', imagesDir: 'originalPics' };
const WIDER_DEFAULTS = {
  imagesDir: 'images',
  skipHeavyBlur: true,
  skipExtremeIllumination: true,
  skipHeavyOcclusion: true,
  minFaceSize: 0,
};

function faceCount(images: Array<{ faces: unknown[] }>): number {
  return images.reduce((sum, image) => sum + image.faces.length, 0);
}

describe('FddbSource', () => {
  const root = path.join(SHARED_DATA, 'fddb');

  test('reads 133 images and 221 faces in folds 1 to 5', async () => {
    const images = await collectImages(new FddbSource({ ...FDDB_DEFAULTS, name: 'fddb', root, logger }).images());
    assert.equal(images.length, 133);
    assert.equal(faceCount(images), 221);
  });

  test('keeps ellipses and boxes of a known face', async () => {
    const images = await collectImages(
      new FddbSource({ ...FDDB_DEFAULTS, name: 'fddb', root, folds: [1], logger }).images(),
    );
    const image = images.find((candidate) => candidate.id === '2002/07/19/big/img_423');
    assert.ok(image);
    assert.equal(image.width, 449);
    assert.equal(image.height, 450);
    const face = image.faces[0];
    assert.ok(face?.ellipse);
    assert.equal(face.ellipse.majorRadius, 87.080955);
    assert.equal(face.ellipse.centerX, 255.383099);
    // The major axis is nearly vertical (angle 1.55 rad), so the box is 2 * minor wide and 2 * major high.
    assert.ok(Math.abs(face.box.w - 118.79) < 0.01);
    assert.ok(Math.abs(face.box.h - 174.14) < 0.01);
    assert.ok(Math.abs(face.box.x + face.box.w / 2 - 255.383099) < 1e-6);
    assert.equal(face.attributes.fold, 1);
  });

  test('selects folds', async () => {
    const fold1 = await collectImages(
      new FddbSource({ ...FDDB_DEFAULTS, name: 'fddb', root, folds: [1], logger }).images(),
    );
    const fold2 = await collectImages(
      new FddbSource({ ...FDDB_DEFAULTS, name: 'fddb', root, folds: [2], logger }).images(),
    );
    assert.equal(fold1.length, 18);
    assert.ok(fold2.length > 0);
    assert.ok(fold1.every((image) => image.faces.every((face) => face.attributes.fold === 1)));
    assert.ok(fold2.every((image) => !fold1.some((other) => other.id === image.id)));
  });

  test('rejects a fold that has no ellipse list', async () => {
    const source = new FddbSource({ ...FDDB_DEFAULTS, name: 'fddb', root, folds: [9], logger });
    await assert.rejects(
      collectImages(source.images()),
      /no ellipse list for fold\(s\) 9 .*folds present: 1, 2, 3, 4, 5/,
    );
  });

  test('ellipseBounds of an unrotated ellipse', () => {
    const box = ellipseBounds({ majorRadius: 10, minorRadius: 5, angle: 0, centerX: 50, centerY: 40 });
    assert.deepEqual(box, { x: 40, y: 35, w: 20, h: 10 });
  });
});

describe('WiderFaceSource', () => {
  const root = path.join(SHARED_DATA, 'wider-face-val');

  test('reads 5 images, 454 boxes and 378 valid ones', async () => {
    const images = await collectImages(
      new WiderFaceSource({ ...WIDER_DEFAULTS, name: 'wider', root, logger }).images(),
    );
    assert.equal(images.length, 5);
    assert.equal(faceCount(images), 454);
    const valid = images.flatMap((image) => image.faces).filter((face) => face.attributes.invalid === 0);
    assert.equal(valid.length, 378);
  });

  test('reads attributes and filters of a known box', async () => {
    const images = await collectImages(
      new WiderFaceSource({ ...WIDER_DEFAULTS, name: 'wider', root, logger }).images(),
    );
    const parade = images.find((image) => image.id === '0--Parade/0_Parade_Parade_0_873');
    assert.ok(parade);
    assert.equal(parade.faces.length, 142);
    assert.deepEqual(parade.faces[0]?.box, { x: 30, y: 432, w: 29, h: 44 });
    assert.equal(parade.faces[0]?.attributes.blur, 1);
    assert.equal(parade.faces[0]?.ignore, false);
    // Line 5 of the file: "2 328 9 14 1 0 0 0 2 0", heavy occlusion.
    assert.equal(parade.faces[2]?.attributes.occlusion, 2);
    assert.equal(parade.faces[2]?.ignore, true);
  });

  test('keeps filtered faces when filters are off', async () => {
    const source = new WiderFaceSource({
      ...WIDER_DEFAULTS,
      skipHeavyBlur: false,
      skipExtremeIllumination: false,
      skipHeavyOcclusion: false,
      name: 'wider',
      root,
      logger,
    });
    const faces = (await collectImages(source.images())).flatMap((image) => image.faces);
    const ignored = faces.filter((face) => face.ignore).length;
    assert.equal(ignored, 454 - 378);
  });
});

describe('AflwSource', () => {
  const root = path.join(SHARED_DATA, 'aflw-format');

  test('reads 18 images and 31 faces with pose fields', async () => {
    const source = new AflwSource({
      name: 'aflw',
      database: path.join(root, 'aflw.sqlite'),
      imagesDir: path.join(root, 'flickr'),
      logger,
    });
    const images = await collectImages(source.images());
    assert.equal(images.length, 18);
    assert.equal(faceCount(images), 31);
    const first = images.find((image) => image.id === '0/image00000.jpg');
    assert.deepEqual(first?.faces[0]?.box, { x: 196, y: 47, w: 119, h: 174 });
    assert.equal(first?.faces[0]?.attributes.yaw, null);
    assert.equal(first?.faces[0]?.attributes.faceId, 1001);
    assert.equal(first?.width, 449);
  });

  test('matches the FDDB ellipse bounds of the same image', async () => {
    const aflw = await collectImages(
      new AflwSource({
        name: 'aflw',
        database: path.join(root, 'aflw.sqlite'),
        imagesDir: path.join(root, 'flickr'),
        logger,
      }).images(),
    );
    const fddb = await collectImages(
      new FddbSource({
        ...FDDB_DEFAULTS,
        name: 'fddb',
        root: path.join(SHARED_DATA, 'fddb'),
        folds: [1],
        logger,
      }).images(),
    );
    const aflwBox = aflw[0]?.faces[0]?.box;
    const fddbBox = fddb[0]?.faces[0]?.box;
    assert.ok(aflwBox);
    assert.ok(fddbBox);
    assert.ok(Math.abs(aflwBox.x - fddbBox.x) <= 1);
    assert.ok(Math.abs(aflwBox.h - fddbBox.h) <= 1);
  });
});

describe('ImglabSource', () => {
  test('reads 4 images and 18 boxes', async () => {
    const file = path.join(SHARED_DATA, 'dlib-imglab/training.xml');
    const images = await collectImages(new ImglabSource({ name: 'imglab', file, logger }).images());
    assert.equal(images.length, 4);
    assert.equal(faceCount(images), 18);
    const first = images.find((image) => image.id === '2007_007763.jpg');
    assert.deepEqual(first?.faces[0]?.box, { x: 194, y: 90, w: 37, h: 37 });
    assert.equal(first?.width, 500);
  });
});

describe('ImageFolderSource', () => {
  test('reads 400 ORL crops as crop images', async () => {
    const root = path.join(SHARED_DATA, 'face-crops/orl');
    const images = await collectImages(
      new ImageFolderSource({ name: 'orl', root, content: 'face-crops', logger }).images(),
    );
    assert.equal(images.length, 400);
    assert.ok(images.every((image) => image.crop === true && image.faces.length === 1));
    assert.deepEqual(images[0]?.faces[0]?.box, { x: 0, y: 0, w: 92, h: 112 });
  });

  test('reads backgrounds as face-free images', async () => {
    const root = path.join(SHARED_DATA, 'backgrounds');
    const images = await collectImages(
      new ImageFolderSource({ name: 'bg', root, content: 'backgrounds', logger }).images(),
    );
    assert.equal(images.length, 122);
    assert.ok(images.every((image) => image.faceFree === true && image.faces.length === 0));
  });
});
