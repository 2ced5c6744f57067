import fs from 'node:fs/promises';
import path from 'node:path';
import type { DependencyContainer } from 'tsyringe';
import type { ResolvedConfig } from '../config/schema.js';
import { createPlugin } from '../container.js';
import { CascadeError, formatErrorChain } from '../errors.js';
import { CONFIG, LOGGER, RUNTIME } from '../tokens.js';
import type { Tracker } from '../tracker.js';
import { findCheckpoint } from './checkpoint.js';
import { flattenParams } from './params.js';
import {
  linkLatest,
  listRunIds,
  newRunId,
  RUN_FILES,
  type RunIdentity,
  readSummary,
  writeFinalSummary,
  writeSummary,
} from './run-dir.js';
import { handleTermination } from './termination.js';
import { TrackerGroup } from './tracker-group.js';
import { trainNet } from './train-net.js';

export interface RunExperimentOptions {
  container: DependencyContainer;
  /** Continue the latest run of this experiment from its last checkpoint. */
  resume?: boolean;
  runName?: string;
}

/**
 * Runs the experiment of the container's config: opens a run directory `runs/<experiment>/<run-id>`
 * (or the latest one with `resume`), starts the trackers, trains the net and records the outcome in
 * `summary.json`. A finished run becomes `runs/<experiment>/latest`. Returns the run directory.
 */
export async function runExperiment(options: RunExperimentOptions): Promise<string> {
  const { container } = options;
  const config = container.resolve(CONFIG);
  const logger = container.resolve(LOGGER);
  const runtime = container.resolve(RUNTIME);
  const experimentDir = path.join(runtime.runsDir, config.name);

  const runDir = options.resume ? await findRunToResume(experimentDir) : path.join(experimentDir, newRunId());
  if (options.resume) {
    await checkSameConfig(runDir, config);
  }
  const runId = path.basename(runDir);
  const previous = options.resume ? await readSummary(runDir) : undefined;
  const startedAt = previous?.startedAt ?? new Date().toISOString();

  const trackers: Tracker[] = [];
  for (const spec of config.trackers) {
    trackers.push(await createPlugin(container, 'tracker', spec));
  }
  const tracker = new TrackerGroup(trackers, logger);
  await tracker.startRun({
    experiment: config.name,
    runName: options.runName ?? `${config.name}-${runId}`,
    runDir,
    tags: { runId, model: config.model.type, resumed: String(Boolean(options.resume)) },
  });
  const identity: RunIdentity = { experiment: config.name, runId, startedAt };
  await writeSummary(runDir, { ...identity, status: 'RUNNING' });

  // Ctrl-C or a termination request marks the run KILLED; its last checkpoint stays usable by --resume.
  const stopHandling = handleTermination((signal) => {
    logger.warn(`${signal} received: marking ${runDir} as KILLED; continue it with --resume`);
    return Promise.all([writeFinalSummary(runDir, identity, 'KILLED'), tracker.endRun('KILLED')]);
  }, logger);

  try {
    const result = await trainNet({ container, config, tracker, runDir, resume: options.resume });
    await writeFinalSummary(runDir, identity, 'FINISHED', {
      epochs: result.epochs,
      modelEpoch: result.modelEpoch,
      metrics: result.metrics,
      stopReason: result.stopReason,
    });
    await linkLatest(runDir);
    await tracker.endRun('FINISHED');
    logger.info(`finished: ${runDir} (${result.stopReason})`);
    return runDir;
  } catch (error) {
    await writeFinalSummary(runDir, identity, 'FAILED', { error: formatErrorChain(error) });
    await tracker.endRun('FAILED');
    throw error;
  } finally {
    stopHandling();
  }
}

/** Finds the newest run of an experiment, which must have a checkpoint and must not have finished. */
async function findRunToResume(experimentDir: string): Promise<string> {
  const ids = await listRunIds(experimentDir);
  const newest = ids.at(-1);
  if (!newest) {
    throw new CascadeError(`Nothing to resume: ${experimentDir} has no runs. Start one without --resume.`);
  }
  const runDir = path.join(experimentDir, newest);
  const summary = await readSummary(runDir);
  if (summary?.status === 'FINISHED') {
    throw new CascadeError(
      `Nothing to resume: the latest run ${runDir} has already finished. Start a new run without --resume.`,
    );
  }
  if (!(await findCheckpoint(runDir))) {
    throw new CascadeError(
      `Cannot resume ${runDir}: it has no checkpoint yet (the first is written after train.checkpointEverySteps steps ` +
        'or at the end of the first epoch). Start a new run without --resume.',
    );
  }
  return runDir;
}

/**
 * Rejects a resume whose config differs from the one the run started with, such as a resume
 * without the first command's `--set` flags, because the checkpoint's steps and schedule belong to
 * the first config.
 */
async function checkSameConfig(runDir: string, config: ResolvedConfig): Promise<void> {
  const file = path.join(runDir, RUN_FILES.config);
  const text = await fs.readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) {
    return;
  }
  const started = flattenParams(JSON.parse(text) as ResolvedConfig);
  const now = flattenParams(config);
  const keys = [...new Set([...Object.keys(started), ...Object.keys(now)])].sort();
  const changed = keys.filter((key) => JSON.stringify(started[key]) !== JSON.stringify(now[key]));
  if (changed.length === 0) {
    return;
  }
  const differences = changed
    .slice(0, 5)
    .map(
      (key) =>
        `${key}: ${JSON.stringify(started[key]) ?? 'unset'} in the run, ${JSON.stringify(now[key]) ?? 'unset'} now`,
    );
  throw new CascadeError(
    `Cannot resume ${runDir}: its config differs from this command's in ${changed.length} field(s): ` +
      `${differences.join('; ')}${changed.length > 5 ? '; ...' : ''}. ` +
      `Repeat the --set flags the run started with (its config is in ${file}), or start a new run without --resume.`,
  );
}
