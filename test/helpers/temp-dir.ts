import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';

/** Creates a temporary directory that is removed when the test file finishes. */
export function makeTempDir(prefix = 'cascade-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes files (relative path → content) under `dir`, creating folders. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [relative, content] of Object.entries(files)) {
    const file = path.join(dir, relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
}

/** The repository root, for tests that need its files. */
export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');
/** The shared real test data beside the repository. */
export const SHARED_DATA = process.env.CASCADE_DATA_ROOT ?? path.resolve(REPO_ROOT, '..', 'shared', 'data');
