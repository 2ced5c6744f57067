import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { RECORD_HEADER_BYTES, recordBytes, SHARD_MAX_BYTES, shardFileName } from './format.js';

// Records are collected in a buffer of about this size before each write.
const WRITE_BUFFER_BYTES = 4 * 1024 * 1024;

interface OpenShard {
  file: string;
  handle: fs.FileHandle;
  hash: Hash;
  count: number;
}

/** Appends fixed-size records to numbered shard files in a folder, hashing each shard. */
export class ShardWriter {
  readonly #dir: string;
  readonly #recordSize: number;
  readonly #pixelBytes: number;
  readonly #recordsPerShard: number;
  readonly #buffer: Buffer;
  #buffered = 0;
  #current: OpenShard | undefined;
  readonly shards: Array<{ file: string; count: number; sha256: string }> = [];

  constructor(dir: string, size: number, shardMaxBytes = SHARD_MAX_BYTES) {
    this.#dir = dir;
    this.#recordSize = recordBytes(size);
    this.#pixelBytes = size * size * 3;
    this.#recordsPerShard = Math.max(1, Math.floor(shardMaxBytes / this.#recordSize));
    const recordsPerWrite = Math.max(1, Math.floor(WRITE_BUFFER_BYTES / this.#recordSize));
    this.#buffer = Buffer.alloc(recordsPerWrite * this.#recordSize);
  }

  async write(label: number, group: number, pixels: Uint8Array): Promise<void> {
    if (!this.#current || this.#current.count === this.#recordsPerShard) {
      await this.#closeShard();
      const file = shardFileName(this.shards.length);
      const handle = await fs.open(path.join(this.#dir, file), 'wx');
      this.#current = { file, handle, hash: createHash('sha256'), count: 0 };
    }

    const offset = this.#buffered * this.#recordSize;
    this.#buffer.writeUInt16LE(label, offset);
    this.#buffer.writeUInt32LE(group, offset + 2);
    this.#buffer.set(pixels.subarray(0, this.#pixelBytes), offset + RECORD_HEADER_BYTES);
    this.#buffered += 1;
    this.#current.count += 1;
    if ((this.#buffered + 1) * this.#recordSize > this.#buffer.length) {
      await this.#flush();
    }
  }

  /** Writes what is buffered and closes the last shard. */
  async close(): Promise<void> {
    await this.#closeShard();
  }

  async #flush(): Promise<void> {
    if (!this.#current || this.#buffered === 0) {
      return;
    }
    const chunk = this.#buffer.subarray(0, this.#buffered * this.#recordSize);
    this.#current.hash.update(chunk);
    await this.#current.handle.write(chunk);
    this.#buffered = 0;
  }

  async #closeShard(): Promise<void> {
    if (!this.#current) {
      return;
    }
    await this.#flush();
    await this.#current.handle.close();
    this.shards.push({
      file: this.#current.file,
      count: this.#current.count,
      sha256: this.#current.hash.digest('hex'),
    });
    this.#current = undefined;
  }
}
