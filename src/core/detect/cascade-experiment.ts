import fs from 'node:fs/promises';
import path from 'node:path';
import type { DependencyContainer } from 'tsyringe';
import { CASCADE_NETS, type CascadeNet, cascadeSchema, type ResolvedCascadeConfig } from '../config/cascade-schema.js';
import { loadProjectConfig, resolveConfigObject, withReceived } from '../config/load.js';
import { formatFieldPath, getAtPath } from '../config/overrides.js';
import { createContainer, createPlugin } from '../container.js';
import { CascadeError, formatErrorChain } from '../errors.js';
import { detectFddb, reportFddb, writeFddbReport } from '../eval/evaluate-fddb.js';
import { readFddbFolds } from '../eval/fddb-files.js';
import { loadRgb } from '../image/index.js';
import { Logger } from '../logger.js';
import type { PluginRegistry } from '../registry.js';
import type { Tracker } from '../tracker.js';
import { linkLatest, newRunId, type RunIdentity, writeFinalSummary, writeSummary } from '../train/run-dir.js';
import { handleTermination } from '../train/termination.js';
import { TrackerGroup } from '../train/tracker-group.js';
import { trainNet } from '../train/train-net.js';
import { CascadeDetector } from './cascade-detector.js';
import { type DetectorOptions, detectorOptionsSchema } from './detector-options.js';
import { CASCADE_MANIFEST, type CascadeManifest, loadCascade } from './load-cascade.js';
import { type HeldOutImage, pickStageThreshold } from './pick-threshold.js';

export interface CascadeExperimentOptions {
  /** The cascade experiment file, for error messages and relative plugin paths. */
  file: string;
  experiment: unknown;
  registry: PluginRegistry;
}

/** True for the default export of a cascade experiment file (`kind: 'cascade'`). */
export function isCascadeExperiment(experiment: unknown): boolean {
  return typeof experiment === 'object' && experiment !== null && (experiment as { kind?: unknown }).kind === 'cascade';
}

/** Validates a cascade experiment, with the field path of each invalid field. */
export function parseCascadeConfig(experiment: unknown, file: string): ResolvedCascadeConfig {
  const parsed = cascadeSchema.safeParse(experiment);
  if (!parsed.success) {
    const issues = parsed.error.issues.map(
      (issue) =>
        `  ${formatFieldPath(issue.path)}: ${withReceived(issue.message, getAtPath(experiment, issue.path), issue.code)}`,
    );
    throw new CascadeError(`Invalid cascade experiment in ${file}:\n${issues.join('\n')}`);
  }
  return parsed.data;
}

/** Builds the single-net experiment of one net, with the runs of the earlier nets filled in. */
export function netExperiment(
  config: ResolvedCascadeConfig,
  net: CascadeNet,
  runDirs: Partial<Record<CascadeNet, string>>,
  detector: DetectorOptions,
): Record<string, unknown> {
  const spec = config.nets[net];
  const model: Record<string, unknown> = { type: net, ...spec.model };
  const augmenters: Array<Record<string, unknown>> = [...spec.data.augmenters];
  const sources: Array<Record<string, unknown>> = [...spec.data.sources];
  if (net === 'net24' || net === 'net48') {
    const earlier =
      net === 'net24' ? (['net12', 'calib12'] as const) : (['net12', 'calib12', 'net24', 'calib24'] as const);
    // The 24-net freezes the 12-net's features, and the 48-net those of the 24-net (which includes the 12-net).
    const frozen = net === 'net24' ? 'net12' : 'net24';
    model[frozen] = runDirs[frozen];
    const miningSources = config.mining.sources.map((source) => source.name ?? source.type) as string[];
    sources.push(
      ...config.mining.sources.filter(
        (source) => !sources.some((existing) => existing.name === source.name && existing.type === source.type),
      ),
    );
    augmenters.push({
      type: 'hard-negatives',
      size: net === 'net24' ? 24 : 48,
      models: earlier.map((slot) => runDirs[slot]),
      detector,
      maxPerImage: config.mining.maxPerImage,
      useFaceImages: config.mining.useFaceImages,
      sources: miningSources,
    });
  }
  return {
    name: `${config.name}-${net}`,
    data: { sources, augmenters },
    model,
    ...(spec.optimizer ? { optimizer: spec.optimizer } : {}),
    ...(spec.train ? { train: spec.train } : {}),
    ...(config.threads === undefined ? {} : { threads: config.threads }),
  };
}

/** Reads the held-out images with their face boxes, decoded once. */
async function readHeldOut(container: DependencyContainer, config: ResolvedCascadeConfig): Promise<HeldOutImage[]> {
  const images: HeldOutImage[] = [];
  for (const spec of config.thresholds.heldOut) {
    const source = await createPlugin(container, 'source', spec);
    for await (const image of source.images()) {
      const faces = image.faces.filter((face) => !face.ignore).map((face) => face.box);
      if (image.crop || faces.length === 0) {
        continue;
      }
      images.push({ rgb: await loadRgb(image), faces });
    }
  }
  if (images.length === 0) {
    throw new CascadeError(
      'The held-out sources of thresholds.heldOut yield no annotated faces; name a source with face boxes.',
    );
  }
  return images;
}

/**
 * Runs the whole cascade experiment: trains the 12-net and 12-calib, picks the 12-stage threshold,
 * mines hard negatives for the 24-net, trains the 24 pair, picks the 24-stage threshold, mines for
 * the 48-net, trains the 48 pair and evaluates on FDDB. One parent run has a child run per net, and
 * `cascade.json` in the parent run directory names every net and the picked detector options.
 * Returns the parent run directory.
 */
export async function runCascadeExperiment(options: CascadeExperimentOptions): Promise<string> {
  const config = parseCascadeConfig(options.experiment, options.file);
  const project = await loadProjectConfig(path.dirname(path.resolve(options.file)));
  const resolveNet = (experiment: Record<string, unknown>) =>
    resolveConfigObject({
      project: project.config,
      projectFile: project.file,
      experiment,
      experimentFile: options.file,
      registry: options.registry,
    });

  // Validate the first net's experiment before any work, and take the project settings from it.
  // It carries the cascade's name, because the parent run's trackers name their experiment after it.
  const base = await resolveNet({ ...netExperiment(config, 'net12', {}, {}), name: config.name });
  const logger = new Logger({ level: base.logLevel });
  const baseContainer = await createContainer({ config: base, registry: options.registry, logger });
  const runId = newRunId();
  const runDir = path.join(base.runsDir, config.name, runId);
  await fs.mkdir(runDir, { recursive: true });
  const startedAt = new Date().toISOString();

  const trackers: Tracker[] = [];
  for (const spec of base.trackers) {
    trackers.push(await createPlugin(baseContainer, 'tracker', spec));
  }
  const parent = new TrackerGroup(trackers, logger);
  await parent.startRun({
    experiment: config.name,
    runName: `${config.name}-${runId}`,
    runDir,
    tags: { runId, kind: 'cascade' },
  });
  const identity: RunIdentity = { experiment: config.name, runId, startedAt };
  await writeSummary(runDir, { ...identity, status: 'RUNNING' });

  const runDirs: Partial<Record<CascadeNet, string>> = {};
  let detector: DetectorOptions = { ...config.detector };
  // Ctrl-C or a termination request marks the parent run and the net in training KILLED.
  const training: { child?: Tracker } = {};
  const stopHandling = handleTermination((signal) => {
    logger.warn(`${signal} received: marking ${runDir} as KILLED`);
    return Promise.all([
      writeFinalSummary(runDir, identity, 'KILLED'),
      training.child?.endRun('KILLED'),
      parent.endRun('KILLED'),
    ]);
  }, logger);
  try {
    const heldOut = await readHeldOut(baseContainer, config);
    logger.info(
      `cascade: ${heldOut.length} held-out images with ${heldOut.reduce((sum, image) => sum + image.faces.length, 0)} faces pick the thresholds`,
    );

    for (const net of CASCADE_NETS) {
      runDirs[net] = await trainCascadeNet({
        config,
        net,
        runDirs,
        detector,
        resolveNet,
        parent,
        runDir,
        registry: options.registry,
        logger,
        training,
      });

      if (net === 'calib12' || net === 'calib24') {
        const stage = net === 'calib12' ? 'net12' : 'net24';
        const target = net === 'calib12' ? config.thresholds.recall12 : config.thresholds.recall24;
        const cascade = await loadCascade(Object.values(runDirs) as string[]);
        try {
          const picked = pickStageThreshold(cascade.nets, detector, stage, heldOut, target);
          detector = { ...detector, thresholds: { ...detector.thresholds, [stage]: picked.threshold } };
          // The 24-stage counts only the faces that the whole 12-stage still reaches.
          const reachedNote = stage === 'net12' ? '' : ' that the 12-stage reaches';
          logger.info(
            `cascade: ${stage} threshold ${picked.threshold.toFixed(4)} keeps recall ${picked.recall.toFixed(3)} ` +
              `of ${picked.faces} held-out faces of at least ${detectorOptionsSchema.parse(detector).minFaceSize} px${reachedNote} ` +
              `(target ${target}; ${picked.reachable} reachable)`,
          );
          if (picked.recall < target) {
            logger.warn(
              `cascade: ${stage} misses its recall target ${target}: only ${picked.reachable} of ${picked.faces} ` +
                'held-out faces have a window with IoU 0.5 or more at any threshold, so the lowest of their scores is used',
            );
          }
          parent.logMetrics(
            { [`${stage}_threshold`]: picked.threshold, [`${stage}_heldout_recall`]: picked.recall },
            0,
          );
        } finally {
          cascade.dispose();
        }
      }
    }

    const manifest: CascadeManifest = {
      nets: Object.fromEntries(
        Object.entries(runDirs).map(([net, dir]) => [net, path.relative(runDir, dir as string)]),
      ),
      detector,
    };
    await fs.writeFile(path.join(runDir, CASCADE_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    await parent.logArtifact(path.join(runDir, CASCADE_MANIFEST));

    const metrics = config.evaluation ? await evaluateCascade(config, runDir, base.dataRoot, parent, logger) : {};
    await writeFinalSummary(runDir, identity, 'FINISHED', { metrics });
    await linkLatest(runDir);
    await parent.endRun('FINISHED');
    logger.info(`cascade: finished ${runDir}`);
    return runDir;
  } catch (error) {
    await writeFinalSummary(runDir, identity, 'FAILED', { error: formatErrorChain(error) });
    await parent.endRun('FAILED');
    throw error;
  } finally {
    stopHandling();
  }
}

interface TrainCascadeNetOptions {
  config: ResolvedCascadeConfig;
  net: CascadeNet;
  runDirs: Partial<Record<CascadeNet, string>>;
  detector: DetectorOptions;
  resolveNet: (experiment: Record<string, unknown>) => ReturnType<typeof resolveConfigObject>;
  parent: Tracker;
  runDir: string;
  registry: PluginRegistry;
  logger: Logger;
  /** Holds the child run of the net in training, for the termination handler. */
  training: { child?: Tracker };
}

/** Trains one net as a child run in `<parent run>/<net>` and returns that directory. */
async function trainCascadeNet(options: TrainCascadeNetOptions): Promise<string> {
  const { config, net, logger } = options;
  const resolved = await options.resolveNet(netExperiment(config, net, options.runDirs, options.detector));
  const container = await createContainer({ config: resolved, registry: options.registry, logger });
  const childDir = path.join(options.runDir, net);
  const child = await options.parent.startChild({
    experiment: config.name,
    runName: net,
    runDir: childDir,
    tags: { net },
  });
  options.training.child = child;
  const startedAt = new Date().toISOString();
  logger.info(`cascade: training ${net}`);
  try {
    const result = await trainNet({ container, config: resolved, tracker: child, runDir: childDir });
    await writeFinalSummary(childDir, { experiment: resolved.name, runId: net, startedAt }, 'FINISHED', {
      epochs: result.epochs,
      modelEpoch: result.modelEpoch,
      metrics: result.metrics,
      stopReason: result.stopReason,
    });
    await child.endRun('FINISHED');
    return childDir;
  } catch (error) {
    await child.endRun('FAILED');
    throw new CascadeError(`Training the ${net} of cascade "${config.name}" failed.`, { cause: error });
  } finally {
    options.training.child = undefined;
  }
}

/** Evaluates the finished cascade on the configured FDDB folds; logs metrics and artifacts to the parent run. */
async function evaluateCascade(
  config: ResolvedCascadeConfig,
  runDir: string,
  dataRoot: string,
  parent: Tracker,
  logger: Logger,
): Promise<Record<string, number>> {
  const evaluation = config.evaluation;
  if (!evaluation) {
    return {};
  }
  const root = path.resolve(dataRoot, evaluation.fddb.root);
  const images = await readFddbFolds(root, evaluation.fddb.folds);
  const cascade = await loadCascade([runDir]);
  const detector = new CascadeDetector(cascade.nets, cascade.detector);
  try {
    const run = await detectFddb(detector, images, logger);
    const report = reportFddb(run);
    const directory = path.join(runDir, 'eval-fddb');
    const files = await writeFddbReport(directory, run, report, config.name);
    const metrics: Record<string, number> = { fddb_images: report.images, fddb_faces: report.faces };
    for (const [budget, recall] of Object.entries(report.recall)) {
      metrics[`fddb_recall_at_${budget}_fp`] = recall;
    }
    for (const stage of report.stages) {
      metrics[`fddb_${stage.stage}_recall`] = stage.recall;
      metrics[`fddb_${stage.stage}_windows_per_image`] = stage.windowsPerImage;
    }
    if (report.imagesPerSecond !== undefined) {
      metrics.fddb_images_per_second = report.imagesPerSecond;
    }
    parent.logMetrics(metrics, 0);
    for (const file of files) {
      await parent.logArtifact(file, 'eval-fddb');
    }
    logger.info(
      `cascade: FDDB folds ${evaluation.fddb.folds.join(',')}: recall ${(report.recall['100'] ?? 0).toFixed(3)} at 100 false positives ` +
        `(${report.images} images, ${report.faces} faces); ${directory}`,
    );
    return metrics;
  } finally {
    detector.dispose();
    cascade.dispose();
  }
}
