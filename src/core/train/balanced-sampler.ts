import { CascadeError } from '../errors.js';
import type { Sample } from '../types.js';
import type { Random } from './random.js';

/** The error for a training split without samples. */
export const NO_TRAINING_SAMPLES =
  'The training split has no samples; check data.sources and train.validationFraction.';

export interface BalancedSamplerOptions {
  /** Opens a fresh pass over the training samples; called again, with the next pass number, whenever a pass ends. */
  open: (pass: number) => AsyncIterable<Sample>;
  numClasses: number;
  /** Labels present in the stream, as counted before training; batches draw from these alone. */
  classes: readonly number[];
  /** Total samples in all class buffers; each class buffer keeps at most its share. */
  bufferSize: number;
  random: Random;
  /** Samples of the first pass to skip, so that short epochs start at different places in the stream. */
  skip?: number;
}

/**
 * Draws class-balanced batches from a stream that may not fit in memory. Samples are read into one
 * bounded shuffle buffer per class. A batch takes the same number of samples from every class in
 * `classes`, each picked at random from its buffer: half positives and half negatives for detection,
 * an even spread over the 45 patterns for calibration.
 *
 * The first draw fills every buffer, up to its share of `bufferSize` or one pass over the stream.
 * After that each draw reads one more sample, so the buffers stay full and a draw picks among many
 * samples, not just the last one read. Stores list their samples source by source, so `open` should
 * return them in shuffled blocks (see `SampleStore.read`), and the buffers then mix all sources.
 * When a class buffer is full, a new sample replaces a random one in it.
 * An empty buffer reads on to the next sample of its class, and the stream starts over when it
 * ends, so rare classes repeat.
 */
export class BalancedSampler {
  readonly #options: BalancedSamplerOptions;
  readonly #buffers: Sample[][];
  readonly #capacity: number;
  #iterator: AsyncIterator<Sample> | undefined;
  #passes = 0;
  #toSkip: number;
  #filled = false;

  constructor(options: BalancedSamplerOptions) {
    this.#options = options;
    this.#buffers = Array.from({ length: options.numClasses }, () => []);
    this.#capacity = Math.max(1, Math.ceil(options.bufferSize / options.numClasses));
    this.#toSkip = options.skip ?? 0;
    if (options.classes.length === 0) {
      throw new CascadeError(NO_TRAINING_SAMPLES);
    }
  }

  /** Draws `batchSize` samples, balanced over the present classes, in random order. */
  async nextBatch(batchSize: number): Promise<Sample[]> {
    const { classes } = this.#options;
    if (!this.#filled) {
      await this.#fillBuffers();
    }
    // Classes take turns from a random start, so each gets the floor or the ceiling of its share.
    const start = this.#options.random.int(classes.length);
    const batch: Sample[] = [];
    for (let index = 0; index < batchSize; index += 1) {
      batch.push(await this.#take(classes[(start + index) % classes.length] as number));
    }
    return this.#options.random.shuffle(batch);
  }

  async #take(label: number): Promise<Sample> {
    const buffer = this.#buffers[label] as Sample[];
    if (buffer.length === 0) {
      await this.#fillUntil(() => buffer.length > 0);
    }
    const index = this.#options.random.int(buffer.length);
    const sample = buffer[index] as Sample;
    buffer[index] = buffer[buffer.length - 1] as Sample;
    buffer.pop();
    // One sample in for each one out keeps the buffers about as full as the first fill left them, at
    // one read per draw in any order of the stream (stores may list one class after the other).
    const next = await this.#read();
    if (next) {
      this.#add(next);
    }
    return sample;
  }

  /** Reads until every class buffer is full or the stream has been read through once. */
  async #fillBuffers(): Promise<void> {
    this.#filled = true;
    const full = () => this.#options.classes.every((label) => (this.#buffers[label]?.length ?? 0) >= this.#capacity);
    while (!full()) {
      const sample = await this.#read();
      if (!sample) {
        return;
      }
      this.#add(sample);
    }
  }

  async #fillUntil(done: () => boolean): Promise<void> {
    // One whole pass without the needed sample means the split has none: fail instead of looping.
    let passEnds = 0;
    while (!done()) {
      const sample = await this.#read();
      if (!sample) {
        passEnds += 1;
        if (passEnds >= 2) {
          throw new CascadeError(
            'The training split has no samples of a class that the batches need; ' +
              'check data.augmenters and train.validationFraction.',
          );
        }
        continue;
      }
      this.#add(sample);
    }
  }

  /** Reads the next sample of the stream; undefined marks the end of a pass, and the next call starts a new one. */
  async #read(): Promise<Sample | undefined> {
    for (;;) {
      if (!this.#iterator) {
        this.#iterator = this.#options.open(this.#passes)[Symbol.asyncIterator]();
        this.#passes += 1;
      }
      const next = await this.#iterator.next();
      if (next.done) {
        this.#iterator = undefined;
        return undefined;
      }
      if (this.#toSkip > 0) {
        this.#toSkip -= 1;
        continue;
      }
      return next.value;
    }
  }

  #add(sample: Sample): void {
    const buffer = this.#buffers[sample.label];
    if (!buffer) {
      throw new CascadeError(
        `Sample of group "${sample.group}" has label ${sample.label}, outside the ${this.#options.numClasses} classes of the net.`,
      );
    }
    if (buffer.length < this.#capacity) {
      buffer.push(sample);
    } else {
      buffer[this.#options.random.int(buffer.length)] = sample;
    }
  }

  /** Closes the current pass over the stream. */
  async close(): Promise<void> {
    await this.#iterator?.return?.();
    this.#iterator = undefined;
  }
}
