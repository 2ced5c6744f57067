import fs from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { BACKENDS, type BackendName, selectBackend } from '../../core/backend.js';
import { CascadeDetector } from '../../core/detect/cascade-detector.js';
import { loadCascade } from '../../core/detect/load-cascade.js';
import { CascadeError } from '../../core/errors.js';
import { parseDatasetSpec } from '../../core/eval/dataset-spec.js';
import {
  detectFddb,
  externalFddbRun,
  type FddbReport,
  type FddbRun,
  reportFddb,
  writeFddbReport,
} from '../../core/eval/evaluate-fddb.js';
import { evaluateWider, writeWiderReport } from '../../core/eval/evaluate-wider.js';
import { availableFddbFolds, parseFddbDetections, readFddbFolds } from '../../core/eval/fddb-files.js';
import { Logger } from '../../core/logger.js';
import { collect } from '../options.js';
import { type DetectorFlags, describeDetector, detectorFlags, detectorOptionsFrom } from './detector-flags.js';

interface EvalFlags extends DetectorFlags {
  dataset: string;
  model: string[];
  detections?: string;
  out?: string;
  label?: string;
  backend: BackendName;
}

/** Formats the FDDB report as the lines printed to stderr. */
export function formatFddbSummary(report: FddbReport, label: string): string {
  const lines = [`FDDB ${label}: ${report.images} images, ${report.faces} faces`];
  for (const [budget, recall] of Object.entries(report.recall)) {
    lines.push(
      `  recall at ${budget} false positives: ${recall.toFixed(3)} (continuous ${(report.continuousRecall[budget] ?? 0).toFixed(3)})`,
    );
  }
  const largestBudget = Math.max(...Object.keys(report.recall).map(Number));
  if (report.curveEnd.falsePositives < largestBudget) {
    lines.push(
      `  the ROC curve ends at ${report.curveEnd.falsePositives} false positives with recall ${report.curveEnd.recall.toFixed(3)}, ` +
        'so larger budgets repeat that recall. Lower-scored detections (for a cascade, a lower --threshold48) extend it.',
    );
  }
  for (const stage of report.stages) {
    lines.push(
      `  after ${stage.stage}: recall ${stage.recall.toFixed(3)}, ${stage.windowsPerImage.toFixed(1)} windows per image`,
    );
  }
  if (report.imagesPerSecond !== undefined) {
    lines.push(`  speed: ${report.imagesPerSecond.toFixed(2)} images/s (decoding excluded)`);
  }
  return lines.join('\n');
}

function defaultOutDir(kind: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return path.join('runs', 'eval', `${kind}-${stamp}`);
}

export function registerEvalCommand(program: Command): void {
  const command = program
    .command('eval')
    .description(
      'Evaluate a cascade (or a file of detections) on FDDB with the official matching rules, or on WIDER FACE validation.',
    )
    .requiredOption('--dataset <spec>', 'fddb:<root>[:folds] (folds such as 6-10; default all present) or wider:<root>')
    .option(
      '--model <run>',
      'cascade run directory or single-net runs, as for cascade detect (repeatable)',
      collect,
      [],
    )
    .option('--detections <file>', 'score this file in FDDB output format instead of running a cascade (FDDB only)')
    .option(
      '--out <dir>',
      'folder for DiscROC.txt, ContROC.txt, roc.png, detections and metrics.json (default runs/eval/<dataset>-<time>)',
    )
    .option('--label <name>', 'curve label in the plot', 'cascade')
    .option('--backend <name>', `TensorFlow backend: ${BACKENDS.join(', ')}`, 'tensorflow');
  detectorFlags(command).action(async (flags: EvalFlags) => {
    const logger = new Logger({ level: 'info' });
    const spec = parseDatasetSpec(flags.dataset);
    if (flags.model.length === 0 && !flags.detections) {
      throw new CascadeError('Nothing to evaluate: pass --model <run> or --detections <file>.');
    }
    if (flags.detections && spec.kind !== 'fddb') {
      throw new CascadeError('--detections takes FDDB output files, so it works with --dataset fddb:<root> only.');
    }
    const out = flags.out ?? defaultOutDir(spec.kind);
    const label = flags.label ?? 'cascade';

    if (spec.kind === 'fddb') {
      const folds = spec.folds ?? (await availableFddbFolds(spec.root));
      const images = await readFddbFolds(spec.root, folds);
      let run: FddbRun;
      if (flags.detections) {
        const text = await fs.readFile(flags.detections, 'utf8').catch((error: unknown) => {
          throw new CascadeError(`Detections file not found: ${flags.detections}.`, { cause: error });
        });
        run = await externalFddbRun(images, parseFddbDetections(text, flags.detections));
      } else {
        await selectBackend(flags.backend, logger);
        const cascade = await loadCascade(flags.model);
        const detector = new CascadeDetector(cascade.nets, detectorOptionsFrom(flags, cascade.detector));
        logger.info(`detector: ${describeDetector(detector.options)}`);
        try {
          run = await detectFddb(detector, images, logger);
        } finally {
          detector.dispose();
          cascade.dispose();
        }
      }
      const report = reportFddb(run);
      await writeFddbReport(out, run, report, label);
      logger.info(formatFddbSummary(report, `${label}, folds ${folds.join(',')}`));
      logger.info(`wrote ${out}`);
      const { discrete: _discrete, continuous: _continuous, ...metrics } = report;
      process.stdout.write(`${JSON.stringify({ dataset: flags.dataset, folds, ...metrics }, null, 2)}\n`);
      return;
    }

    await selectBackend(flags.backend, logger);
    const cascade = await loadCascade(flags.model);
    const detector = new CascadeDetector(cascade.nets, detectorOptionsFrom(flags, cascade.detector));
    logger.info(`detector: ${describeDetector(detector.options)}`);
    try {
      const { report, predictions } = await evaluateWider(detector, spec.root, logger);
      await writeWiderReport(out, report, predictions);
      logger.info(
        `WIDER FACE ${label}: ${report.images} images, AP easy ${report.averagePrecision.easy.toFixed(3)}, ` +
          `medium ${report.averagePrecision.medium.toFixed(3)}, hard ${report.averagePrecision.hard.toFixed(3)}`,
      );
      process.stdout.write(`${JSON.stringify({ dataset: flags.dataset, ...report }, null, 2)}\n`);
    } finally {
      detector.dispose();
      cascade.dispose();
    }
  });
}
