import { createHash } from 'node:crypto';

/** Bumped whenever the shard layout changes, so that old stores are rebuilt instead of misread. */
export const STORE_FORMAT_VERSION = 1;

export const MANIFEST_FILE = 'manifest.json';
export const GROUPS_FILE = 'groups.json';

// Bytes in front of each record's pixels: the label (uint16) and the group index (uint32), little-endian.
export const RECORD_HEADER_BYTES = 6;

// A shard is closed once it would pass this many bytes; about 150,000 12x12 crops or 9,000 48x48 crops.
export const SHARD_MAX_BYTES = 64 * 1024 * 1024;

/** Manifest of a sample store, stored as `manifest.json` next to its shards. */
export interface StoreManifest {
  version: 1;
  /** SHA-256 of the shard digests and the group table: equal digests mean equal samples. */
  digest: string;
  /** Crop side in pixels. */
  size: number;
  numClasses: number;
  count: number;
  /** Number of samples per label, indexed by label. */
  countsPerLabel: number[];
  /** Number of distinct groups (source images). */
  groupCount: number;
  /** The source and augmenter specs the store was built from; its digest names the store folder. */
  key: unknown;
  createdAt: string;
  shards: Array<{ file: string; count: number; sha256: string }>;
}

/** Bytes of one record: header plus `size * size * 3` pixels. */
export function recordBytes(size: number): number {
  return RECORD_HEADER_BYTES + size * size * 3;
}

export function shardFileName(index: number): string {
  return `shard-${String(index).padStart(5, '0')}.bin`;
}

/** JSON with object keys sorted at every level, so that equal values give equal text. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      return item;
    }
    const sorted: Record<string, unknown> = {};
    for (const name of Object.keys(item).sort()) {
      sorted[name] = (item as Record<string, unknown>)[name];
    }
    return sorted;
  });
}

/** Hex SHA-256 of a string or bytes. */
export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Name of the store folder for a key: the first 24 hex digits of the key's digest. */
export function storeKeyDigest(key: unknown): string {
  return sha256(`cascade-sample-store-v${STORE_FORMAT_VERSION}\n${stableStringify(key)}`).slice(0, 24);
}
