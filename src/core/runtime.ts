import path from 'node:path';
import type { BackendName } from './backend.js';

/** Resolved directories and run-wide settings, shared by every component of a command. */
export interface Runtime {
  backend: BackendName;
  seed: number;
  /** Directory of cascade.config.ts (or the working directory without one). */
  projectDir: string;
  /** Relative data paths in `data.sources` resolve against this. */
  dataRoot: string;
  /** Sample stores and other caches. */
  cacheDir: string;
  /** Run directories: `<runsDir>/<experiment>/<run-id>`. */
  runsDir: string;
}

/** Resolves a data path from a config: absolute paths stay, relative ones resolve against the data root. */
export function resolveDataPath(runtime: Runtime, value: string): string {
  return path.resolve(runtime.dataRoot, value);
}
