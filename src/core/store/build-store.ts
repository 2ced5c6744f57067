import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Augmenter } from '../augmenter.js';
import type { DataSource } from '../data-source.js';
import { CascadeError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AnnotatedImage } from '../types.js';
import { GROUPS_FILE, MANIFEST_FILE, type StoreManifest, sha256, storeKeyDigest } from './format.js';
import { openSampleStore, type SampleStore } from './sample-store.js';
import { ShardWriter } from './shard-writer.js';

export interface BuildStoreOptions {
  sources: DataSource[];
  augmenters: Augmenter[];
  cacheDir: string;
  logger: Logger;
  /** JSON of the source and augmenter specs; the store folder is named by its digest. */
  key: unknown;
  /** Maximum bytes per shard file; 64 MiB by default. A shard always contains at least one record. */
  shardMaxBytes?: number;
}

/**
 * Reuses `<cacheDir>/stores/<digest-of-key>` when complete; otherwise builds it atomically
 * (temp dir, then rename). Throws if no sample was produced.
 *
 * NOTE: the key covers the specs, not the image files. A store is not rebuilt when the files
 * under a source root change, so delete the store folder after changing the data.
 */
export async function buildSampleStore(options: BuildStoreOptions): Promise<SampleStore> {
  const { augmenters, logger } = options;
  const { size, numClasses } = checkAugmenters(augmenters);
  checkSourceNames(options.sources);

  const dir = path.join(path.resolve(options.cacheDir), 'stores', storeKeyDigest(options.key));
  const existing = await openIfComplete(dir);
  if (existing) {
    logger.info(`reusing sample store ${dir} (${existing.manifest.count} samples)`);
    return existing;
  }

  await fs.mkdir(path.dirname(dir), { recursive: true });
  await removeAbandonedBuilds(dir, logger);
  const temp = `${dir}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  await fs.mkdir(temp);
  try {
    const manifest = await writeSamples({ ...options, dir: temp, size, numClasses });
    await fs.writeFile(path.join(temp, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    try {
      await fs.rename(temp, dir);
    } catch (error) {
      // Another process finished the same store first: keep theirs.
      if (!(await openIfComplete(dir))) {
        throw new CascadeError(`Failed to move the new sample store into ${dir}.`, { cause: error });
      }
      await fs.rm(temp, { recursive: true, force: true });
    }
  } catch (error) {
    await fs.rm(temp, { recursive: true, force: true });
    throw error;
  }

  const store = await openSampleStore(dir);
  logger.info(`sample store ${dir}: ${describeCounts(store.manifest)}`);
  return store;
}

/** Checks that every augmenter yields the same crop size and number of classes. */
function checkAugmenters(augmenters: readonly Augmenter[]): { size: number; numClasses: number } {
  const first = augmenters[0];
  if (!first) {
    throw new CascadeError('A sample store needs at least one augmenter; data.augmenters is empty.');
  }
  for (const augmenter of augmenters.slice(1)) {
    if (augmenter.size !== first.size) {
      throw new CascadeError(
        `Augmenters of one store must have the same size: "${first.name}" has size ${first.size}, "${augmenter.name}" has size ${augmenter.size}.`,
      );
    }
    if (augmenter.numClasses !== first.numClasses) {
      throw new CascadeError(
        `Augmenters of one store must have the same number of classes: "${first.name}" has ${first.numClasses}, "${augmenter.name}" has ${augmenter.numClasses}. ` +
          'Calibration patterns (45 classes) and face/non-face samples (2 classes) go into separate experiments.',
      );
    }
  }
  return { size: first.size, numClasses: first.numClasses };
}

/** Removes temp folders of this store left by builds whose process no longer runs (killed or crashed). */
async function removeAbandonedBuilds(dir: string, logger: Logger): Promise<void> {
  const prefix = `${path.basename(dir)}.partial-`;
  for (const name of await fs.readdir(path.dirname(dir))) {
    const pid = Number(name.startsWith(prefix) ? name.slice(prefix.length).split('-')[0] : Number.NaN);
    if (Number.isInteger(pid) && !processRuns(pid)) {
      logger.debug(`removing abandoned sample store build ${name}`);
      await fs.rm(path.join(path.dirname(dir), name), { recursive: true, force: true });
    }
  }
}

/** True when a process with this id exists; signal 0 checks without sending anything. */
function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Checks that source names are unique, because groups and augmenter filters refer to sources by name. */
function checkSourceNames(sources: readonly DataSource[]): void {
  const seen = new Set<string>();
  for (const source of sources) {
    if (seen.has(source.name)) {
      throw new CascadeError(
        `Two data sources are named "${source.name}". Give each source of one store a different "name" option.`,
      );
    }
    seen.add(source.name);
  }
}

async function openIfComplete(dir: string): Promise<SampleStore | undefined> {
  try {
    await fs.access(path.join(dir, MANIFEST_FILE));
  } catch {
    return undefined;
  }
  return openSampleStore(dir);
}

async function* imagesOf(sources: readonly DataSource[]): AsyncIterable<AnnotatedImage> {
  for (const source of sources) {
    yield* source.images();
  }
}

async function writeSamples(
  options: BuildStoreOptions & { dir: string; size: number; numClasses: number },
): Promise<StoreManifest> {
  const { dir, size, numClasses, logger } = options;
  const writer = new ShardWriter(dir, size, options.shardMaxBytes);
  const countsPerLabel = new Array<number>(numClasses).fill(0);
  const groupIndex = new Map<string, number>();
  const progress = logger.progress(`building ${size}x${size} samples`, undefined, 'samples');
  let count = 0;

  for (const augmenter of options.augmenters) {
    for await (const sample of augmenter.samples(imagesOf(options.sources))) {
      if (sample.size !== size || sample.pixels.length !== size * size * 3) {
        throw new CascadeError(
          `Augmenter "${augmenter.name}" yielded a ${sample.size}px sample with ${sample.pixels.length} bytes; expected ${size}px and ${size * size * 3} bytes.`,
        );
      }
      if (!Number.isInteger(sample.label) || sample.label < 0 || sample.label >= numClasses) {
        throw new CascadeError(
          `Augmenter "${augmenter.name}" yielded label ${sample.label}; expected an integer in 0..${numClasses - 1}.`,
        );
      }
      let group = groupIndex.get(sample.group);
      if (group === undefined) {
        group = groupIndex.size;
        groupIndex.set(sample.group, group);
      }
      await writer.write(sample.label, group, sample.pixels);
      countsPerLabel[sample.label] = (countsPerLabel[sample.label] ?? 0) + 1;
      count += 1;
      progress.tick();
    }
  }
  await writer.close();
  progress.done();

  if (count === 0) {
    const sources = options.sources.map((source) => source.name).join(', ');
    const augmenters = options.augmenters.map((augmenter) => augmenter.name).join(', ');
    throw new CascadeError(
      `No sample was produced: augmenters [${augmenters}] yielded nothing from sources [${sources}]. ` +
        "Check that the source roots contain usable images and that each augmenter's `sources` names them.",
    );
  }

  const groupsJson = JSON.stringify([...groupIndex.keys()]);
  await fs.writeFile(path.join(dir, GROUPS_FILE), groupsJson);
  const digest = sha256(`${writer.shards.map((shard) => shard.sha256).join('\n')}\n${sha256(groupsJson)}`);
  return {
    version: 1,
    digest,
    size,
    numClasses,
    count,
    countsPerLabel,
    groupCount: groupIndex.size,
    key: options.key,
    createdAt: new Date().toISOString(),
    shards: writer.shards,
  };
}

function describeCounts(manifest: StoreManifest): string {
  const labels = manifest.countsPerLabel.map((count, label) => `${label}: ${count}`).join(', ');
  return `${manifest.count} samples from ${manifest.groupCount} images (per label ${labels})`;
}
