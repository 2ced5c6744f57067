import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { readMatFile } from '../../../src/core/eval/mat-file.js';
import { readWiderGroundTruth, scoreWider, vocAveragePrecision } from '../../../src/core/eval/wider-score.js';
import { SHARED_DATA } from '../../helpers/temp-dir.js';

const WIDER_ROOT = path.join(SHARED_DATA, 'wider-face-val');
const IMAGE = '0--Parade/0_Parade_Parade_0_873';

describe('WIDER FACE ground truth', () => {
  test('mat files list every validation image', async () => {
    const groundTruth = await readWiderGroundTruth(WIDER_ROOT);
    assert.equal(groundTruth.size, 3226);
  });

  test('boxes match the text annotation', async () => {
    const groundTruth = await readWiderGroundTruth(WIDER_ROOT);
    const text = await fs.readFile(path.join(WIDER_ROOT, 'wider_face_val_bbx_gt.txt'), 'utf8');
    const lines = text.split('\n');
    const start = lines.indexOf(`${IMAGE}.jpg`);
    const count = Number(lines[start + 1]);
    const first = (lines[start + 2] ?? '').trim().split(/\s+/).slice(0, 4).map(Number);
    const image = groundTruth.get(IMAGE);
    assert.equal(image?.boxes.length, count);
    assert.deepEqual(image?.boxes[0], { x: first[0], y: first[1], w: first[2], h: first[3] });
  });

  test('subsets grow from easy to hard', async () => {
    const image = (await readWiderGroundTruth(WIDER_ROOT)).get(IMAGE);
    assert.ok(image);
    assert.ok(image.kept.easy.size <= image.kept.medium.size);
    assert.ok(image.kept.medium.size <= image.kept.hard.size);
    for (const index of image.kept.easy) {
      assert.ok(image.kept.hard.has(index), `easy face ${index} missing from hard`);
    }
  });

  test('non-MAT file is rejected with a hint', async () => {
    const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'cascade-mat-'));
    const file = path.join(directory, 'broken.mat');
    await fs.writeFile(file, 'not a mat file');
    assert.throws(() => readMatFile(Buffer.from('not a mat file'), file), /is not a MATLAB v5 MAT-file/);
    await fs.rm(directory, { recursive: true });
  });
});

describe('WIDER FACE average precision', () => {
  test('ground-truth boxes score full precision', async () => {
    const groundTruth = await readWiderGroundTruth(WIDER_ROOT);
    const image = groundTruth.get(IMAGE);
    assert.ok(image);
    const predictions = new Map([[IMAGE, image.boxes.map((box, index) => ({ ...box, score: 1 - index / 1000 }))]]);
    const result = scoreWider(predictions, groundTruth);
    assert.equal(result.faces.hard, image.kept.hard.size);
    assert.ok(result.averagePrecision.hard > 0.99, `hard AP ${result.averagePrecision.hard}`);
    assert.ok(result.averagePrecision.easy > 0.99, `easy AP ${result.averagePrecision.easy}`);
  });

  test('misplaced boxes score zero', async () => {
    const groundTruth = await readWiderGroundTruth(WIDER_ROOT);
    const predictions = new Map([[IMAGE, [{ x: 5000, y: 5000, w: 10, h: 10, score: 1 }]]]);
    assert.equal(scoreWider(predictions, groundTruth).averagePrecision.hard, 0);
  });

  test('VOC area uses the precision envelope', () => {
    // Recall 0.5 at precision 1, then recall 1 at precision 0.5: area 0.5 * 1 + 0.5 * 0.5.
    assert.equal(vocAveragePrecision([0.5, 1], [1, 0.5]), 0.75);
  });
});
