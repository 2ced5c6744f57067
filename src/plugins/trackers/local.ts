import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { definePlugin } from '../../core/registry.js';
import type { DatasetInput, ParamValue, RunStart, RunStatus, Tracker } from '../../core/tracker.js';
import { writeFileAtomic } from '../../core/train/atomic-write.js';
import { RUN_FILES } from '../../core/train/run-dir.js';

export const localOptions = z.object({}).strict();

declare module '../../core/config/plugin-types.js' {
  interface TrackerTypes {
    local: z.input<typeof localOptions>;
  }
}

const TAGS_FILE = 'tags.json';
const INPUTS_FILE = 'inputs.json';

/**
 * Records a run in its run directory: `params.json`, `metrics.jsonl` (one JSON object per metric
 * step, with `step` and `timestamp` in milliseconds), `tags.json`, `inputs.json` and copies of
 * artifacts from outside the run directory under `artifacts/`.
 */
export class LocalTracker implements Tracker {
  readonly name = 'local';
  #runDir: string | undefined;
  #params: Record<string, ParamValue> = {};
  #tags: Record<string, string> = {};
  #inputs: DatasetInput[] = [];

  async startRun(run: RunStart): Promise<void> {
    this.#runDir = run.runDir;
    await fsp.mkdir(run.runDir, { recursive: true });
    // A resumed run keeps what it recorded before the kill.
    this.#params = await readJson(path.join(run.runDir, RUN_FILES.params), {});
    this.#tags = { ...(await readJson(path.join(run.runDir, TAGS_FILE), {})), ...run.tags };
    this.#inputs = await readJson(path.join(run.runDir, INPUTS_FILE), []);
    await this.setTags({ experiment: run.experiment, runName: run.runName });
  }

  async logParams(params: Record<string, ParamValue>): Promise<void> {
    this.#params = { ...this.#params, ...params };
    await writeFileAtomic(this.#path(RUN_FILES.params), `${JSON.stringify(this.#params, null, 2)}\n`);
  }

  async setTags(tags: Record<string, string>): Promise<void> {
    this.#tags = { ...this.#tags, ...tags };
    await writeFileAtomic(this.#path(TAGS_FILE), `${JSON.stringify(this.#tags, null, 2)}\n`);
  }

  logMetrics(metrics: Record<string, number>, step: number, timestampMs = Date.now()): void {
    fs.appendFileSync(
      this.#path(RUN_FILES.metrics),
      `${JSON.stringify({ step, timestamp: timestampMs, ...metrics })}\n`,
    );
  }

  /** Rewrites `metrics.jsonl` without the records of steps after `step`. */
  async rewind(step: number): Promise<void> {
    const file = this.#path(RUN_FILES.metrics);
    let text: string;
    try {
      text = await fsp.readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return;
      }
      throw error;
    }
    // A line cut short by the kill has no step to read, so it is dropped too.
    const remaining = text.split('\n').filter((line) => {
      try {
        return line !== '' && (JSON.parse(line) as { step: number }).step <= step;
      } catch {
        return false;
      }
    });
    await writeFileAtomic(file, remaining.map((line) => `${line}\n`).join(''));
  }

  async logArtifact(localPath: string, artifactPath?: string): Promise<void> {
    const runDir = this.#requireRunDir();
    const absolute = path.resolve(localPath);
    if (absolute === runDir || absolute.startsWith(`${runDir}${path.sep}`)) {
      return;
    }
    const target = path.join(runDir, RUN_FILES.artifacts, artifactPath ?? '', path.basename(absolute));
    await fsp.mkdir(path.dirname(target), { recursive: true });
    await fsp.cp(absolute, target, { recursive: true });
  }

  async logInput(input: DatasetInput): Promise<void> {
    this.#inputs = [...this.#inputs.filter((known) => known.digest !== input.digest), input];
    await writeFileAtomic(this.#path(INPUTS_FILE), `${JSON.stringify(this.#inputs, null, 2)}\n`);
  }

  async startChild(run: RunStart): Promise<Tracker> {
    const child = new LocalTracker();
    await child.startRun({ ...run, tags: { ...run.tags, parentRunDir: this.#requireRunDir() } });
    return child;
  }

  async endRun(status: RunStatus): Promise<void> {
    await this.setTags({ status });
  }

  #path(file: string): string {
    return path.join(this.#requireRunDir(), file);
  }

  #requireRunDir(): string {
    if (!this.#runDir) {
      throw new Error('The local tracker has no run; call startRun first.');
    }
    return this.#runDir;
  }
}

async function readJson<T>(file: string, fallback: T): Promise<T> {
  try {
    return JSON.parse(await fsp.readFile(file, 'utf8')) as T;
  } catch {
    return fallback;
  }
}

export const localTrackerPlugin = definePlugin({
  kind: 'tracker',
  type: 'local',
  description: 'Params, metrics and artifacts as files in runs/<experiment>/<run-id>/.',
  options: localOptions,
  create: () => new LocalTracker(),
});
