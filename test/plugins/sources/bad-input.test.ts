import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { PositiveCropper } from '../../../src/plugins/augmenters/positives.js';
import { AflwSource } from '../../../src/plugins/sources/aflw.js';
import { FddbSource } from '../../../src/plugins/sources/fddb.js';
import { ImageFolderSource } from '../../../src/plugins/sources/image-folder.js';
import { ImglabSource } from '../../../src/plugins/sources/imglab.js';
import { WiderFaceSource } from '../../../src/plugins/sources/wider-face.js';
import { collectImages, makeTempDir, recordingLogger, SHARED_DATA, writeTruncatedJpeg } from './helpers.js';

const GOOD_JPEG = path.join(SHARED_DATA, 'fddb/originalPics/2002/07/19/big/img_423.jpg');
const WIDER_DEFAULTS = {
  imagesDir: 'images',
  skipHeavyBlur: true,
  skipExtremeIllumination: true,
  skipHeavyOcclusion: true,
  minFaceSize: 0,
};
const temps: string[] = [];

/** Encodes a 24-bit Windows BMP, a format sharp does not read. */
function bmpImage(width: number, height: number): Buffer {
  const rowBytes = Math.ceil((width * 3) / 4) * 4;
  const header = Buffer.alloc(54);
  header.write('BM', 0, 'latin1');
  header.writeUInt32LE(54 + rowBytes * height, 2);
  header.writeUInt32LE(54, 10);
  header.writeUInt32LE(40, 14);
  header.writeInt32LE(width, 18);
  header.writeInt32LE(height, 22);
  header.writeUInt16LE(1, 26);
  header.writeUInt16LE(24, 28);
  return Buffer.concat([header, Buffer.alloc(rowBytes * height, 200)]);
}

async function tempDir(prefix: string): Promise<string> {
  const dir = await makeTempDir(prefix);
  temps.push(dir);
  return dir;
}

after(async () => {
  await Promise.all(temps.map((dir) => fs.rm(dir, { recursive: true, force: true })));
});

describe('broken image files', () => {
  test('image folder skips unreadable files once', async () => {
    const dir = await tempDir('broken-images');
    await fs.copyFile(GOOD_JPEG, path.join(dir, 'good.jpg'));
    await fs.writeFile(path.join(dir, 'notes.jpg'), 'this is a text file, not a JPEG\n');
    await fs.writeFile(path.join(dir, 'empty.png'), '');
    await fs.writeFile(path.join(dir, 'readme.txt'), 'not an image name, never listed');
    const { logger, text } = recordingLogger();

    const images = await collectImages(
      new ImageFolderSource({ name: 'faces', root: dir, content: 'face-crops', logger }).images(),
    );

    assert.deepEqual(
      images.map((image) => image.id),
      ['good.jpg'],
    );
    const warning = text();
    assert.match(warning, /skipped 2 unreadable images in source "faces"/);
    assert.match(warning, /notes\.jpg/);
    assert.match(warning, /empty\.png/);
    assert.equal(warning.match(/^warn:/gm)?.length, 1);
  });

  test('positives skip a truncated JPEG and keep good crops', async () => {
    const dir = await tempDir('truncated');
    await fs.copyFile(GOOD_JPEG, path.join(dir, 'good.jpg'));
    await writeTruncatedJpeg(path.join(dir, 'truncated.jpg'));
    const { logger, text } = recordingLogger();
    const source = new ImageFolderSource({ name: 'faces', root: dir, content: 'face-crops', logger });
    const cropper = new PositiveCropper({ size: 12, mirror: false, minFaceSize: 0 }, logger);

    const samples = [];
    for await (const sample of cropper.samples(source.images())) {
      samples.push(sample);
    }

    assert.equal(samples.length, 1);
    assert.equal(samples[0]?.group, 'faces:good.jpg');
    assert.match(text(), /skipped 1 images that failed to decode \(augmenter "positives"\)/);
    assert.match(text(), /truncated\.jpg: Failed to decode image/);
  });

  test('image folder skips an unsupported format', async () => {
    const dir = await tempDir('bmp');
    await fs.copyFile(GOOD_JPEG, path.join(dir, 'good.jpg'));
    await fs.writeFile(path.join(dir, 'photo.png'), bmpImage(2, 2));
    const { logger, text } = recordingLogger();

    const images = await collectImages(
      new ImageFolderSource({ name: 'faces', root: dir, content: 'face-crops', logger }).images(),
    );

    assert.deepEqual(
      images.map((image) => image.id),
      ['good.jpg'],
    );
    assert.match(text(), /photo\.png: Failed to read image header .*unsupported image format/);
  });

  test('empty image folder fails with its path', async () => {
    const dir = await tempDir('empty');
    const { logger } = recordingLogger();
    const source = new ImageFolderSource({ name: 'faces', root: dir, content: 'face-crops', logger });
    await assert.rejects(collectImages(source.images()), /found no \.jpg, \.jpeg or \.png file under/);
  });

  test('missing image folder fails with a hint', async () => {
    const { logger } = recordingLogger();
    const source = new ImageFolderSource({ name: 'faces', root: '/nonexistent/faces', content: 'face-crops', logger });
    await assert.rejects(
      collectImages(source.images()),
      /Image folder of source "faces" not found: \/nonexistent\/faces/,
    );
  });
});

describe('WIDER FACE annotation problems', () => {
  async function widerFixture(lines: string[]): Promise<string> {
    const dir = await tempDir('wider');
    await fs.mkdir(path.join(dir, 'images/0--Parade'), { recursive: true });
    await fs.copyFile(GOOD_JPEG, path.join(dir, 'images/0--Parade/a.jpg'));
    await fs.copyFile(GOOD_JPEG, path.join(dir, 'images/0--Parade/b.jpg'));
    await fs.copyFile(GOOD_JPEG, path.join(dir, 'images/0--Parade/empty.jpg'));
    await fs.writeFile(path.join(dir, 'wider_face_test_bbx_gt.txt'), `${lines.join('\n')}\n`);
    return dir;
  }

  test('reads a zero-face entry and its placeholder line', async () => {
    const root = await widerFixture([
      '0--Parade/empty.jpg',
      '0',
      '0 0 0 0 0 0 0 0 0 0',
      '0--Parade/a.jpg',
      '1',
      '10 20 30 40 0 0 0 0 0 0',
    ]);
    const { logger, text } = recordingLogger();
    const images = await collectImages(new WiderFaceSource({ ...WIDER_DEFAULTS, name: 'w', root, logger }).images());
    assert.equal(images.length, 2);
    assert.equal(images[0]?.faces.length, 0);
    assert.deepEqual(images[1]?.faces[0]?.box, { x: 10, y: 20, w: 30, h: 40 });
    assert.equal(text(), '');
  });

  test('skips malformed lines, bad boxes and missing images', async () => {
    const root = await widerFixture([
      '0--Parade/a.jpg',
      '3',
      '10 20 30 40 0 0 0 0 0 0',
      '5000 20 30 40 0 0 0 0 0 0',
      '10 20 0 40 0 0 0 1 0 0',
      '0--Parade/b.jpg',
      '1',
      '10 twenty 30 40 0 0 0 0 0 0',
      '0--Parade/missing.jpg',
      '1',
      '10 20 30 40 0 0 0 0 0 0',
    ]);
    const { logger, text } = recordingLogger();

    const images = await collectImages(new WiderFaceSource({ ...WIDER_DEFAULTS, name: 'w', root, logger }).images());

    assert.deepEqual(
      images.map((image) => image.id),
      ['0--Parade/a'],
    );
    assert.equal(images[0]?.faces.length, 1);
    const warning = text();
    assert.match(warning, /skipped 4 WIDER FACE items/);
    assert.match(warning, /lies outside the 449x450 image/);
    assert.match(warning, /has zero size/);
    assert.match(warning, /0--Parade\/b\.jpg .*line 8: expected "x y w h/);
    assert.match(warning, /missing\.jpg \(line 9\)/);
  });

  test('count that is not a number fails with its line', async () => {
    const root = await widerFixture(['0--Parade/a.jpg', 'many', '10 20 30 40 0 0 0 0 0 0']);
    const { logger } = recordingLogger();
    const source = new WiderFaceSource({ ...WIDER_DEFAULTS, name: 'w', root, logger });
    await assert.rejects(
      collectImages(source.images()),
      /line 2: expected the box count of "0--Parade\/a\.jpg", found "many"/,
    );
  });
});

describe('FDDB annotation problems', () => {
  test('skips a malformed ellipse line and a missing image', async () => {
    const root = await tempDir('fddb');
    await fs.mkdir(path.join(root, 'FDDB-folds'));
    await fs.mkdir(path.join(root, 'originalPics/x'), { recursive: true });
    await fs.copyFile(GOOD_JPEG, path.join(root, 'originalPics/x/good.jpg'));
    await fs.copyFile(GOOD_JPEG, path.join(root, 'originalPics/x/bad.jpg'));
    const list = [
      'x/good',
      '1',
      '87.08 59.37 1.55 255.38 133.76  1',
      'x/bad',
      '1',
      '87.08 oops 1.55 255.38 133.76  1',
      'x/gone',
      '1',
      '87.08 59.37 1.55 255.38 133.76  1',
    ];
    await fs.writeFile(path.join(root, 'FDDB-folds/FDDB-fold-03-ellipseList.txt'), `${list.join('\n')}\n`);
    await fs.writeFile(path.join(root, 'FDDB-folds/FDDB-fold-03.txt'), 'x/good\nx/bad\nx/gone\nx/unannotated\n');
    const { logger, text } = recordingLogger();

    const source = new FddbSource({ name: 'fddb', root, foldsDir: 'FDDB-folds', imagesDir: 'originalPics', logger });
    const images = await collectImages(source.images());

    assert.deepEqual(
      images.map((image) => image.id),
      ['x/good'],
    );
    assert.match(text(), /skipped 3 FDDB items/);
    assert.match(text(), /x\/unannotated \(FDDB-fold-03\.txt\): listed in the fold but missing from its ellipse list/);
    assert.match(text(), /x\/bad .*line 6: expected "major_radius/);
    assert.match(text(), /x\/gone \(FDDB-fold-03-ellipseList\.txt line 7\)/);
  });
});

describe('AFLW database problems', () => {
  test('database without the AFLW tables fails', async () => {
    const dir = await tempDir('aflw');
    const file = path.join(dir, 'aflw.sqlite');
    const db = new Database(file);
    db.exec('CREATE TABLE Faces (face_id INTEGER, file_id TEXT); CREATE TABLE Other (x INTEGER)');
    db.close();
    const { logger } = recordingLogger();
    const source = new AflwSource({ name: 'aflw', database: file, imagesDir: dir, logger });
    await assert.rejects(
      collectImages(source.images()),
      /AFLW database .*aflw\.sqlite is missing table\(s\) FaceImages, FaceRect; found: Faces, Other/,
    );
  });

  test('text file as database fails', async () => {
    const dir = await tempDir('aflw-text');
    const file = path.join(dir, 'aflw.sqlite');
    await fs.writeFile(file, 'not a database at all, just some text that is long enough to fill a header\n'.repeat(20));
    const { logger } = recordingLogger();
    const source = new AflwSource({ name: 'aflw', database: file, imagesDir: dir, logger });
    await assert.rejects(collectImages(source.images()), /Failed to read AFLW database .*file is not a database/);
  });

  test('skips missing images and boxes outside the image', async () => {
    const dir = await tempDir('aflw-rows');
    await fs.mkdir(path.join(dir, 'flickr/0'), { recursive: true });
    await fs.copyFile(GOOD_JPEG, path.join(dir, 'flickr/0/a.jpg'));
    const file = path.join(dir, 'aflw.sqlite');
    const db = new Database(file);
    db.exec(`
      CREATE TABLE Faces (face_id INTEGER PRIMARY KEY, file_id TEXT, db_id TEXT);
      CREATE TABLE FaceImages (image_id INTEGER PRIMARY KEY, db_id TEXT, file_id TEXT, filepath TEXT, bw INTEGER, width INTEGER, height INTEGER);
      CREATE TABLE FaceRect (face_rect_id INTEGER PRIMARY KEY, face_id INTEGER, x INTEGER, y INTEGER, w INTEGER, h INTEGER, annot_type_id INTEGER);
      INSERT INTO FaceImages VALUES (1, 'flickr', 'a.jpg', '0/a.jpg', 0, 449, 450), (2, 'flickr', 'b.jpg', '0/b.jpg', 0, 100, 100);
      INSERT INTO Faces VALUES (1, 'a.jpg', 'flickr'), (2, 'a.jpg', 'flickr'), (3, 'a.jpg', 'flickr'), (4, 'b.jpg', 'flickr');
      INSERT INTO FaceRect VALUES (1, 1, -20, 10, 100, 120, 1), (2, 2, 600, 10, 50, 50, 1), (3, 3, 10, 10, 0, 50, 1), (4, 4, 1, 1, 10, 10, 1);
    `);
    db.close();
    const { logger, text } = recordingLogger();

    const images = await collectImages(
      new AflwSource({ name: 'aflw', database: file, imagesDir: path.join(dir, 'flickr'), logger }).images(),
    );

    assert.equal(images.length, 1);
    assert.deepEqual(images[0]?.faces[0]?.box, { x: -20, y: 10, w: 100, h: 120 });
    assert.equal(images[0]?.faces.length, 1);
    assert.equal(images[0]?.faces[0]?.attributes.yaw, undefined);
    assert.match(text(), /skipped 3 AFLW items/);
    assert.match(text(), /0\/b\.jpg: image file not found/);
    assert.match(text(), /face 2: box .* lies outside/);
    assert.match(text(), /face 3: box .* has zero size/);
  });
});

describe('imglab XML problems', () => {
  test('skips a box without numbers and reports its line', async () => {
    const dir = await tempDir('imglab');
    await fs.copyFile(GOOD_JPEG, path.join(dir, 'a.jpg'));
    const xml = [
      "<?xml version='1.0'?>",
      '<dataset><images>',
      "  <image file='a.jpg'>",
      "    <box top='10' left='20' width='30' height='40'/>",
      "    <box top='x' left='20' width='30' height='40'/>",
      "    <box top='10' left='20' width='30' height='40' ignore='1'/>",
      '  </image>',
      "  <image file='missing.jpg'/>",
      '</images></dataset>',
    ].join('\n');
    await fs.writeFile(path.join(dir, 'faces.xml'), xml);
    const { logger, text } = recordingLogger();

    const images = await collectImages(
      new ImglabSource({ name: 'x', file: path.join(dir, 'faces.xml'), logger }).images(),
    );

    assert.equal(images.length, 1);
    assert.equal(images[0]?.faces.length, 2);
    assert.deepEqual(images[0]?.faces[0]?.box, { x: 20, y: 10, w: 30, h: 40 });
    assert.equal(images[0]?.faces[1]?.ignore, true);
    assert.match(text(), /skipped 2 imglab items/);
    assert.match(text(), /a\.jpg \(line 5\): <box> needs numeric/);
    assert.match(text(), /missing\.jpg \(line 8\)/);
  });

  test('file without an images element fails', async () => {
    const dir = await tempDir('imglab-bad');
    await fs.writeFile(path.join(dir, 'faces.xml'), '<html><body>not imglab</body></html>');
    const { logger } = recordingLogger();
    const source = new ImglabSource({ name: 'x', file: path.join(dir, 'faces.xml'), logger });
    await assert.rejects(collectImages(source.images()), /no <images> element found/);
  });
});
