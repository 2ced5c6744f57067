import { z } from 'zod';
import type { Logger, Progress } from '../../core/logger.js';
import { definePlugin } from '../../core/registry.js';
import type { DatasetInput, ParamValue, RunStart, RunStatus, Tracker } from '../../core/tracker.js';

export const consoleOptions = z.object({}).strict();

declare module '../../core/config/plugin-types.js' {
  interface TrackerTypes {
    console: z.input<typeof consoleOptions>;
  }
}

/**
 * Shows training on the terminal: one progress bar per epoch with the loss, accuracy and samples per
 * second, and a line with the validation metrics at the end of each epoch. It reads the batch size
 * and steps per epoch from the params `train.batchSize` and `train.stepsPerEpoch`, and the epoch
 * from the `epoch` metric. Metrics named `val_*` end the epoch.
 */
export class ConsoleTracker implements Tracker {
  readonly name = 'console';
  readonly #logger: Logger;
  #label = '';
  #batchSize = 1;
  #stepsPerEpoch: number | undefined;
  #epochs: number | undefined;
  #bar: Progress | undefined;
  #barEpoch = 0;
  #lastStep = 0;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  async startRun(run: RunStart): Promise<void> {
    this.#label = run.runName;
    this.#logger.info(`run ${run.experiment}/${run.runName}: ${run.runDir}`);
  }

  async logParams(params: Record<string, ParamValue>): Promise<void> {
    this.#batchSize = numberParam(params['train.batchSize']) ?? this.#batchSize;
    this.#stepsPerEpoch = numberParam(params['train.stepsPerEpoch']) ?? this.#stepsPerEpoch;
    this.#epochs = numberParam(params['train.epochs']) ?? this.#epochs;
  }

  async setTags(_tags: Record<string, string>): Promise<void> {}

  logMetrics(metrics: Record<string, number>, step: number): void {
    const epoch = metrics.epoch;
    if (epoch === undefined) {
      return;
    }
    const bar = this.#barFor(epoch, step);
    bar.tick(Math.max(0, step - this.#lastStep) * this.#batchSize, trainingFields(metrics));
    this.#lastStep = step;

    if (Object.keys(metrics).some((key) => key.startsWith('val_'))) {
      bar.done();
      this.#bar = undefined;
      this.#logger.info(`epoch ${epoch}: ${formatMetrics(metrics)}`);
    }
  }

  /** The progress bar of an epoch, opened on its first metrics. */
  #barFor(epoch: number, step: number): Progress {
    if (this.#bar && this.#barEpoch === epoch) {
      return this.#bar;
    }
    this.#bar?.done();
    const total = this.#stepsPerEpoch !== undefined ? this.#stepsPerEpoch * this.#batchSize : undefined;
    const of = this.#epochs !== undefined ? `/${this.#epochs}` : '';
    // After a resume the first logged step is mid-epoch: the bar starts at the step of the checkpoint
    // (see `rewind`), and the steps before it do not count in the rate.
    const epochStart = this.#stepsPerEpoch !== undefined ? (epoch - 1) * this.#stepsPerEpoch : step;
    this.#lastStep = Math.max(this.#lastStep, epochStart);
    const before = (this.#lastStep - epochStart) * this.#batchSize;
    this.#bar = this.#logger.progress(`${this.#label} epoch ${epoch}${of}`, total, 'samples', before);
    this.#barEpoch = epoch;
    return this.#bar;
  }

  /** Notes the step of the checkpoint a resumed run starts from. */
  async rewind(step: number): Promise<void> {
    this.#lastStep = step;
  }

  async logArtifact(_localPath: string, _artifactPath?: string): Promise<void> {}

  async logInput(input: DatasetInput): Promise<void> {
    this.#logger.info(`samples: ${input.name} (${input.source}, digest ${input.digest.slice(0, 12)})`);
  }

  async startChild(run: RunStart): Promise<Tracker> {
    const child = new ConsoleTracker(this.#logger);
    await child.startRun(run);
    return child;
  }

  async endRun(status: RunStatus): Promise<void> {
    this.#bar?.done();
    this.#bar = undefined;
    this.#logger.info(`run ${this.#label} ended: ${status}`);
  }
}

function numberParam(value: ParamValue | undefined): number | undefined {
  const parsed = typeof value === 'string' ? Number(value) : value;
  return typeof parsed === 'number' && Number.isFinite(parsed) ? parsed : undefined;
}

function trainingFields(metrics: Record<string, number>): Record<string, string> {
  const fields: Record<string, string> = {};
  if (metrics.train_loss !== undefined) {
    fields.loss = metrics.train_loss.toFixed(4);
  }
  if (metrics.train_accuracy !== undefined) {
    fields.acc = metrics.train_accuracy.toFixed(3);
  }
  return fields;
}

function formatMetrics(metrics: Record<string, number>): string {
  return Object.entries(metrics)
    .filter(([key]) => key !== 'epoch')
    .map(([key, value]) => `${key} ${Number.isInteger(value) ? value : value.toFixed(4)}`)
    .join(', ');
}

export const consoleTrackerPlugin = definePlugin({
  kind: 'tracker',
  type: 'console',
  description: 'Progress bars and per-epoch metrics on stderr.',
  options: consoleOptions,
  create: (_options, context) => new ConsoleTracker(context.logger),
});
