import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { CascadeError } from '../errors.js';
import type { Sample } from '../types.js';
import { GROUPS_FILE, MANIFEST_FILE, RECORD_HEADER_BYTES, recordBytes, type StoreManifest } from './format.js';

// Shards are read in chunks of this size, so memory use does not grow with the store.
const READ_CHUNK_BYTES = 1024 * 1024;

/** Samples on disk, streamed back in stored order. */
export interface SampleStore {
  readonly dir: string;
  readonly manifest: StoreManifest;
  /** Streams samples in stored order, optionally only those whose group passes `filter`. */
  read(options?: { filter?: (group: string) => boolean }): AsyncIterable<Sample>;
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

  async *read(options: { filter?: (group: string) => boolean } = {}): AsyncIterable<Sample> {
    const { size } = this.manifest;
    const recordSize = recordBytes(size);
    const keep = options.filter ? this.#groupKeys.map((key) => options.filter?.(key) ?? true) : undefined;

    for (const shard of this.manifest.shards) {
      let pending: Buffer = Buffer.alloc(0);
      const highWaterMark = Math.max(recordSize, Math.floor(READ_CHUNK_BYTES / recordSize) * recordSize);
      for await (const chunk of createReadStream(path.join(this.dir, shard.file), { highWaterMark })) {
        const bytes = pending.length > 0 ? Buffer.concat([pending, chunk as Buffer]) : (chunk as Buffer);
        const whole = Math.floor(bytes.length / recordSize);
        for (let i = 0; i < whole; i += 1) {
          const offset = i * recordSize;
          const groupIndex = bytes.readUInt32LE(offset + 2);
          if (keep && !keep[groupIndex]) {
            continue;
          }
          yield {
            size,
            label: bytes.readUInt16LE(offset),
            group: this.#groupKeys[groupIndex] ?? String(groupIndex),
            pixels: new Uint8Array(bytes.subarray(offset + RECORD_HEADER_BYTES, offset + recordSize)),
          };
        }
        pending = bytes.subarray(whole * recordSize);
      }
    }
  }
}
