import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { CascadeError } from '../errors.js';
import type { Random } from '../train/random.js';
import type { Sample } from '../types.js';
import { GROUPS_FILE, MANIFEST_FILE, RECORD_HEADER_BYTES, recordBytes, type StoreManifest } from './format.js';

// Shards are read in chunks of this size, so memory use does not grow with the store.
const READ_CHUNK_BYTES = 1024 * 1024;
// A shuffled read visits blocks of consecutive records in random order: blocks of at most this size,
// and at least this many blocks in a small store.
const SHUFFLE_BLOCK_BYTES = 64 * 1024;
const SHUFFLE_MIN_BLOCKS = 64;

export interface ReadOptions {
  /** Keeps only the samples whose group passes. */
  filter?: (group: string) => boolean;
  /**
   * Reads blocks of consecutive records (at most 64 KiB each) in an order drawn from this generator,
   * so that any stretch of the stream mixes samples from the whole store. Stores list their samples
   * source by source, and without this a shuffle buffer smaller than the store contains samples of
   * one source at a time. Omitted: stored order.
   */
  shuffle?: Random;
}

/** Samples on disk, streamed back in stored order or in shuffled blocks. */
export interface SampleStore {
  readonly dir: string;
  readonly manifest: StoreManifest;
  /** Streams samples in stored order, or in shuffled blocks, optionally only those whose group passes `filter`. */
  read(options?: ReadOptions): AsyncIterable<Sample>;
  /** Distinct group keys (one per source image), sorted. */
  groups(): Promise<string[]>;
}

/** Opens a complete store folder, checking its manifest and shard sizes. */
export async function openSampleStore(dir: string): Promise<SampleStore> {
  const manifestPath = path.join(dir, MANIFEST_FILE);
  let manifest: StoreManifest;
  try {
    manifest = JSON.parse(await fs.readFile(manifestPath, 'utf8')) as StoreManifest;
  } catch (error) {
    throw new CascadeError(
      `Failed to open sample store ${dir}: ${manifestPath} is missing or not valid JSON. ` +
        'Pass the folder that `cascade data` printed, or delete the folder so that it is rebuilt.',
      { cause: error },
    );
  }
  if (manifest.version !== 1) {
    throw new CascadeError(
      `Sample store ${dir} has format version ${String(manifest.version)}; this cascade reads version 1. Delete the folder to rebuild it.`,
    );
  }

  const expectedBytes = recordBytes(manifest.size);
  for (const shard of manifest.shards) {
    const file = path.join(dir, shard.file);
    const stat = await fs.stat(file).catch(() => undefined);
    if (!stat || stat.size !== shard.count * expectedBytes) {
      throw new CascadeError(
        `Sample store ${dir} is damaged: ${shard.file} ${stat ? `has ${stat.size} bytes, expected ${shard.count * expectedBytes}` : 'is missing'}. ` +
          'Delete the folder to rebuild it.',
      );
    }
  }

  let groupKeys: string[];
  try {
    groupKeys = JSON.parse(await fs.readFile(path.join(dir, GROUPS_FILE), 'utf8')) as string[];
  } catch (error) {
    throw new CascadeError(
      `Sample store ${dir} is damaged: ${GROUPS_FILE} is missing or not valid JSON. Delete the folder to rebuild it.`,
      {
        cause: error,
      },
    );
  }
  return new ShardedSampleStore(dir, manifest, groupKeys);
}

/** A store of fixed-size records in shard files; groups are indices into `groups.json`. */
class ShardedSampleStore implements SampleStore {
  readonly dir: string;
  readonly manifest: StoreManifest;
  /** Group keys by the index stored in each record, in first-seen order. */
  readonly #groupKeys: string[];

  constructor(dir: string, manifest: StoreManifest, groupKeys: string[]) {
    this.dir = dir;
    this.manifest = manifest;
    this.#groupKeys = groupKeys;
  }

  async groups(): Promise<string[]> {
    return [...this.#groupKeys].sort();
  }

  async *read(options: ReadOptions = {}): AsyncIterable<Sample> {
    const { size } = this.manifest;
    const recordSize = recordBytes(size);
    const keep = options.filter ? this.#groupKeys.map((key) => options.filter?.(key) ?? true) : undefined;
    const toSample = (bytes: Buffer, offset: number): Sample | undefined => {
      const groupIndex = bytes.readUInt32LE(offset + 2);
      if (keep && !keep[groupIndex]) {
        return undefined;
      }
      return {
        size,
        label: bytes.readUInt16LE(offset),
        group: this.#groupKeys[groupIndex] ?? String(groupIndex),
        pixels: new Uint8Array(bytes.subarray(offset + RECORD_HEADER_BYTES, offset + recordSize)),
      };
    };

    if (options.shuffle) {
      yield* this.#readShuffled(options.shuffle, recordSize, toSample);
      return;
    }
    for (const shard of this.manifest.shards) {
      let pending: Buffer = Buffer.alloc(0);
      const highWaterMark = Math.max(recordSize, Math.floor(READ_CHUNK_BYTES / recordSize) * recordSize);
      for await (const chunk of createReadStream(path.join(this.dir, shard.file), { highWaterMark })) {
        const bytes = pending.length > 0 ? Buffer.concat([pending, chunk as Buffer]) : (chunk as Buffer);
        const whole = Math.floor(bytes.length / recordSize);
        for (let i = 0; i < whole; i += 1) {
          const sample = toSample(bytes, i * recordSize);
          if (sample) {
            yield sample;
          }
        }
        pending = bytes.subarray(whole * recordSize);
      }
    }
  }

  async *#readShuffled(
    random: Random,
    recordSize: number,
    toSample: (bytes: Buffer, offset: number) => Sample | undefined,
  ): AsyncIterable<Sample> {
    const perBlock = Math.max(
      1,
      Math.min(Math.floor(SHUFFLE_BLOCK_BYTES / recordSize), Math.ceil(this.manifest.count / SHUFFLE_MIN_BLOCKS)),
    );
    const blocks: Array<{ file: string; first: number; count: number }> = [];
    for (const shard of this.manifest.shards) {
      for (let first = 0; first < shard.count; first += perBlock) {
        blocks.push({ file: shard.file, first, count: Math.min(perBlock, shard.count - first) });
      }
    }
    random.shuffle(blocks);

    const files = new Map<string, fs.FileHandle>();
    const buffer = Buffer.alloc(perBlock * recordSize);
    try {
      for (const block of blocks) {
        let file = files.get(block.file);
        if (!file) {
          file = await fs.open(path.join(this.dir, block.file), 'r');
          files.set(block.file, file);
        }
        const length = block.count * recordSize;
        const { bytesRead } = await file.read(buffer, 0, length, block.first * recordSize);
        if (bytesRead !== length) {
          throw new CascadeError(
            `Sample store ${this.dir} is damaged: a read of ${block.file} returned ${bytesRead} bytes, expected ${length}. Delete the folder to rebuild it.`,
          );
        }
        for (let i = 0; i < block.count; i += 1) {
          const sample = toSample(buffer, i * recordSize);
          if (sample) {
            yield sample;
          }
        }
      }
    } finally {
      await Promise.all([...files.values()].map((file) => file.close()));
    }
  }
}
