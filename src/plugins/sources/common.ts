import fs from 'node:fs/promises';
import { z } from 'zod';
import { CascadeError } from '../../core/errors.js';

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
      `${what} not found: ${target}. Check the source's "root" (relative paths resolve against dataRoot).`,
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
