import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { RunStatus } from '../tracker.js';
import { temporarySibling, writeFileAtomic } from './atomic-write.js';

/** Files and folders of a run directory `runs/<experiment>/<run-id>/`. */
export const RUN_FILES = {
  /** The resolved config of the run. */
  config: 'config.json',
  /** Flattened params, written by the `local` tracker. */
  params: 'params.json',
  /** One JSON object per metric step, written by the `local` tracker. */
  metrics: 'metrics.jsonl',
  /** Final weights in the tfjs layers format. */
  model: 'model',
  /** Atomic checkpoints for `--resume`. */
  checkpoints: 'checkpoints',
  /** Weights of the best epoch so far, kept while early stopping may restore them. */
  best: 'best',
  /** Final metrics and status. */
  summary: 'summary.json',
  /** Files logged with `logArtifact` by the `local` tracker. */
  artifacts: 'artifacts',
} as const;

/** Name of the link to the newest finished run of an experiment: `runs/<experiment>/latest`. */
export const LATEST_LINK = 'latest';

/** Contents of `summary.json`. */
export interface RunSummary {
  experiment: string;
  runId: string;
  status: RunStatus | 'RUNNING';
  startedAt: string;
  endedAt?: string;
  /** Epochs completed. */
  epochs?: number;
  /** Epoch whose weights the saved model holds: the last one, or the best one that early stopping restored. */
  modelEpoch?: number;
  /** Metrics of the epoch whose weights the saved model holds. */
  metrics?: Record<string, number>;
  /** Why training stopped: all epochs done, or early stopping. */
  stopReason?: string;
  error?: string;
}

/** Creates a run id: UTC time to the second plus 4 random hex digits, so ids sort by start time. */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

/** Run ids of an experiment folder, oldest first; `latest` and hidden entries are left out. */
export async function listRunIds(experimentDir: string): Promise<string[]> {
  const entries = await fs.readdir(experimentDir, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isDirectory() && entry.name !== LATEST_LINK && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort();
}

export async function readSummary(runDir: string): Promise<RunSummary | undefined> {
  try {
    return JSON.parse(await fs.readFile(path.join(runDir, RUN_FILES.summary), 'utf8')) as RunSummary;
  } catch {
    return undefined;
  }
}

export async function writeSummary(runDir: string, summary: RunSummary): Promise<void> {
  await writeFileAtomic(path.join(runDir, RUN_FILES.summary), `${JSON.stringify(summary, null, 2)}\n`);
}

/** The fields of a run's summary that stay the same from start to end. */
export type RunIdentity = Pick<RunSummary, 'experiment' | 'runId' | 'startedAt'>;

/**
 * Writes the final summary of a run: its identity, the status, the end time now, and the
 * outcome fields (metrics, stop reason or error).
 */
export async function writeFinalSummary(
  runDir: string,
  identity: RunIdentity,
  status: RunStatus,
  outcome: Omit<RunSummary, keyof RunIdentity | 'status' | 'endedAt'> = {},
): Promise<void> {
  await writeSummary(runDir, { ...identity, status, endedAt: new Date().toISOString(), ...outcome });
}

/** Points `runs/<experiment>/latest` at a run, replacing the link atomically. */
export async function linkLatest(runDir: string): Promise<void> {
  const link = path.join(path.dirname(runDir), LATEST_LINK);
  const temp = temporarySibling(link);
  await fs.symlink(path.basename(runDir), temp, 'dir');
  await fs.rename(temp, link);
}
