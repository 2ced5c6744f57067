import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import { formatFddbSummary } from '../../../src/cli/commands/eval.js';
import { parseDatasetSpec, parseFolds } from '../../../src/core/eval/dataset-spec.js';
import { externalFddbRun, type FddbReport, reportFddb, writeFddbReport } from '../../../src/core/eval/evaluate-fddb.js';
import { readFddbFolds } from '../../../src/core/eval/fddb-files.js';
import { SHARED_DATA } from '../../helpers/temp-dir.js';

const FDDB_ROOT = path.join(SHARED_DATA, 'fddb');

describe('dataset spec', () => {
  test('fold lists accept ranges', () => {
    assert.deepEqual(parseFolds('1-3,5'), [1, 2, 3, 5]);
  });

  test('fddb spec splits root and folds', () => {
    assert.deepEqual(parseDatasetSpec('fddb:/data/fddb:6-10'), {
      kind: 'fddb',
      root: '/data/fddb',
      folds: [6, 7, 8, 9, 10],
    });
    assert.deepEqual(parseDatasetSpec('fddb:/data/fddb'), { kind: 'fddb', root: '/data/fddb', folds: undefined });
  });

  test('missing fold lists the present ones', async () => {
    await assert.rejects(
      readFddbFolds(FDDB_ROOT, [4, 6]),
      /FDDB-fold-06-ellipseList\.txt\. Fold 6 is missing, and this root has folds 1, 2, 3, 4, 5\./,
    );
  });

  test('wrong root asks for the folds folder', async () => {
    await assert.rejects(
      readFddbFolds(path.join(SHARED_DATA, 'backgrounds'), [1]),
      /Point --dataset fddb:<root> at the directory that contains FDDB-folds\//,
    );
  });

  test('unknown dataset lists the accepted ones', () => {
    assert.throws(() => parseDatasetSpec('afw:/data'), /Unknown dataset "afw".*fddb:<root>\[:folds\] or wider:<root>/);
  });
});

describe('FDDB report', () => {
  test('external detections produce every report file', async () => {
    const images = await readFddbFolds(FDDB_ROOT, [4]);
    // One detection per image: the bounding box of its first face, scored by position, plus one false positive.
    const detections = images.map((image, index) => {
      const face = image.ellipses[0];
      const boxes = [{ x: 0, y: 0, w: 20, h: 20, score: 0.1 }];
      if (face) {
        boxes.push({
          x: face.centerX - face.minorRadius,
          y: face.centerY - face.majorRadius,
          w: 2 * face.minorRadius,
          h: 2 * face.majorRadius,
          score: 1 - index / 100,
        });
      }
      return { name: image.name, detections: boxes };
    });
    const run = await externalFddbRun(images, detections);
    const report = reportFddb(run);
    assert.equal(report.images, images.length);
    assert.equal(report.stages.length, 0);
    assert.equal(report.imagesPerSecond, undefined);
    // At the lowest threshold every corner box is kept, and each is a false positive.
    assert.equal(report.discrete[0]?.threshold, 0.1);
    assert.equal(report.discrete[0]?.falsePositives, images.length);
    assert.equal(report.discrete.at(-1)?.falsePositives, 0);
    assert.ok((report.recall['50'] ?? 0) > 0.3, `recall ${report.recall['50']}`);
    assert.equal(report.curveEnd.falsePositives, images.length);
    assert.equal(report.curveEnd.recall, report.discrete[0]?.truePositiveRate);
    // The corner boxes give fewer false positives than the largest budget, so the summary reports where the curve ends.
    const summary = formatFddbSummary(report, 'test');
    assert.match(summary, new RegExp(`the ROC curve ends at ${images.length} false positives with recall `));

    const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'cascade-fddb-report-'));
    const files = await writeFddbReport(directory, run, report, 'test');
    for (const file of files) {
      assert.ok((await fs.stat(file)).size > 0, `${file} is empty`);
    }
    const roc = (await fs.readFile(path.join(directory, 'DiscROC.txt'), 'utf8')).trim().split('\n');
    assert.equal(roc.length, report.discrete.length);
    assert.match(roc[0] ?? '', /^[\d.e-]+ \d+ [\d.e-]+$/);
    const plot = await sharp(path.join(directory, 'roc.png')).metadata();
    assert.equal(plot.width, 640);
    assert.equal(plot.format, 'png');
    await fs.rm(directory, { recursive: true });
  });

  test('summary omits a curve past every budget', () => {
    const report: FddbReport = {
      images: 1,
      faces: 1,
      recall: { '50': 1, '500': 1 },
      continuousRecall: { '50': 0.8, '500': 0.8 },
      curveEnd: { falsePositives: 600, recall: 1 },
      stages: [],
      discrete: [],
      continuous: [],
    };
    assert.doesNotMatch(formatFddbSummary(report, 'test'), /curve ends/);
    assert.match(formatFddbSummary({ ...report, curveEnd: { falsePositives: 499, recall: 1 } }, 'test'), /curve ends/);
  });
});
