import fs from 'node:fs';
import path from 'node:path';
import type { Metric } from './rest-types.js';

// Bytes read from the spill file at a time when moving spilled metrics back into memory.
const SPILL_READ_CHUNK_BYTES = 1 << 20;

export interface MetricQueueOptions {
  /** Metrics held in memory; later ones go to the spill file until memory drains. */
  maxInMemory: number;
  /** JSON-lines file for metrics beyond `maxInMemory`; created on first use. */
  spillFile: string;
}

/**
 * A first-in, first-out queue of metrics waiting to be sent. It keeps at most `maxInMemory`
 * metrics in memory and appends the rest to a spill file, so an outage of the tracking server
 * costs disk space rather than memory. Order is kept: once anything is spilled, new metrics go to
 * the file behind it until the file has been read back.
 */
export class MetricQueue {
  readonly spillFile: string;
  readonly #maxInMemory: number;
  #memory: Metric[] = [];
  /** Metrics written to the spill file and not yet read back. */
  #spilled = 0;
  /** Byte offset of the first unread line of the spill file. */
  #readOffset = 0;
  #spilledTotal = 0;

  constructor(options: MetricQueueOptions) {
    if (!Number.isInteger(options.maxInMemory) || options.maxInMemory < 1) {
      throw new RangeError(`maxInMemory must be a positive integer, received ${options.maxInMemory}`);
    }
    this.#maxInMemory = options.maxInMemory;
    this.spillFile = options.spillFile;
  }

  /** Metrics waiting, in memory and spilled. */
  get size(): number {
    return this.#memory.length + this.#spilled;
  }

  /** Metrics written to the spill file since the queue was created. */
  get spilledTotal(): number {
    return this.#spilledTotal;
  }

  push(metric: Metric): void {
    if (this.#spilled === 0 && this.#memory.length < this.#maxInMemory) {
      this.#memory.push(metric);
      return;
    }
    if (this.#spilled === 0) {
      fs.mkdirSync(path.dirname(this.spillFile), { recursive: true });
    }
    fs.appendFileSync(this.spillFile, `${JSON.stringify(metric)}\n`);
    this.#spilled += 1;
    this.#spilledTotal += 1;
  }

  /** Returns up to `count` of the oldest metrics without removing them. */
  peek(count: number): Metric[] {
    if (this.#memory.length < count && this.#spilled > 0) {
      this.#readBack();
    }
    return this.#memory.slice(0, count);
  }

  /** Removes the `count` oldest metrics, after they were sent. */
  drop(count: number): void {
    this.#memory.splice(0, count);
  }

  /** Deletes the spill file; call it once the queue is empty. */
  removeSpillFile(): void {
    if (this.#spilled === 0) {
      fs.rmSync(this.spillFile, { force: true });
      this.#readOffset = 0;
    }
  }

  /**
   * Writes every waiting metric, oldest first, to `file` as JSON lines, empties the queue and
   * deletes the spill file. Returns how many metrics were saved.
   */
  saveUnsent(file: string): number {
    const lines = this.#memory.map((metric) => `${JSON.stringify(metric)}\n`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, lines.join(''));
    if (this.#spilled > 0) {
      // The unread part of the spill file is already JSON lines, in order.
      const spilledLines = fs.readFileSync(this.spillFile).subarray(this.#readOffset);
      fs.appendFileSync(file, spilledLines);
    }
    const saved = this.size;
    this.#memory = [];
    this.#spilled = 0;
    fs.rmSync(this.spillFile, { force: true });
    this.#readOffset = 0;
    return saved;
  }

  /** Moves spilled metrics back into memory, oldest first, as far as memory allows. */
  #readBack(): void {
    const room = this.#maxInMemory - this.#memory.length;
    if (room <= 0) {
      return;
    }
    const fd = fs.openSync(this.spillFile, 'r');
    try {
      const buffer = Buffer.alloc(SPILL_READ_CHUNK_BYTES);
      let loaded = 0;
      while (loaded < room && this.#spilled > 0) {
        const bytesRead = fs.readSync(fd, buffer, 0, buffer.length, this.#readOffset);
        const chunk = buffer.subarray(0, bytesRead);
        let start = 0;
        let newline = chunk.indexOf(0x0a, start);
        if (newline < 0) {
          throw new Error(
            `Spill file ${this.spillFile} has a line longer than ${SPILL_READ_CHUNK_BYTES} bytes at offset ${this.#readOffset}.`,
          );
        }
        while (newline >= 0 && loaded < room) {
          this.#memory.push(JSON.parse(chunk.subarray(start, newline).toString('utf8')) as Metric);
          loaded += 1;
          this.#spilled -= 1;
          start = newline + 1;
          newline = chunk.indexOf(0x0a, start);
        }
        this.#readOffset += start;
      }
    } finally {
      fs.closeSync(fd);
    }
    if (this.#spilled === 0) {
      // Everything was read back: the next spill starts a fresh file.
      fs.rmSync(this.spillFile, { force: true });
      this.#readOffset = 0;
    }
  }
}
