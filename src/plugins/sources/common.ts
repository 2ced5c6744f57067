import fs from 'node:fs/promises';
import { z } from 'zod';
import { CascadeError } from '../../core/errors.js';
import type { Box } from '../../core/types.js';

/** Options every source takes: its data root and an optional name for logs, groups and augmenter filters. */
export const sourceBaseOptions = z.object({
  /** Annotation file or folder; relative paths resolve against the project's data root. */
  root: z.string().min(1, 'expected a path'),
  /** Defaults to the source type, such as "fddb". */
  name: z.string().min(1).optional(),
});

/** One bad input that a reader skipped, for `Logger.warnSkipped`. */
export interface SkippedItem {
  item: string;
  reason: string;
}

/** Throws a clear error unless `target` exists and is of the expected kind. */
export async function requirePath(target: string, kind: 'file' | 'folder', what: string): Promise<void> {
  const stat = await fs.stat(target).catch(() => undefined);
  if (!stat) {
    throw new CascadeError(
      `${what} not found: ${target}. Check the source's "root" (in experiment files, relative paths resolve against dataRoot; on the command line, against the current folder).`,
    );
  }
  if (kind === 'file' && !stat.isFile()) {
    throw new CascadeError(`${what} must be a file, but ${target} is a folder.`);
  }
  if (kind === 'folder' && !stat.isDirectory()) {
    throw new CascadeError(`${what} must be a folder, but ${target} is a file.`);
  }
}

/** Message of an error, for skip reasons. */
export function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Returns why a face box is unusable (not finite, of zero size, or wholly outside the image),
 * or undefined for a usable box. Boxes that extend past the image are usable.
 */
export function boxProblem(box: Box, width: number, height: number): string | undefined {
  if (![box.x, box.y, box.w, box.h].every(Number.isFinite)) {
    return `box ${JSON.stringify(box)} has a value that is not a number`;
  }
  if (box.w <= 0 || box.h <= 0) {
    return `box ${JSON.stringify(box)} has zero size`;
  }
  if (box.x >= width || box.y >= height || box.x + box.w <= 0 || box.y + box.h <= 0) {
    return `box ${JSON.stringify(box)} lies outside the ${width}x${height} image`;
  }
  return undefined;
}

/** Parses a whitespace-separated line of numbers; returns undefined when a field is not a number. */
export function parseNumbers(line: string): number[] | undefined {
  const fields = line.trim().split(/\s+/);
  const values = fields.map(Number);
  return fields[0] === '' || values.some((value) => !Number.isFinite(value)) ? undefined : values;
}
