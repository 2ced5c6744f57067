import fs from 'node:fs';
import path from 'node:path';

/**
 * Returns the run's artifact root as a path under the server's `mlflow-artifacts` proxy
 * (`mlflow-artifacts:/1/<run id>/artifacts` becomes `1/<run id>/artifacts`), or undefined for any
 * other scheme, which only the server's file system or a cloud SDK can write to.
 */
export function artifactRootOf(artifactUri: string | undefined): string | undefined {
  if (!artifactUri) {
    return undefined;
  }
  const match = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/.exec(artifactUri);
  return match ? trimSlashes(match[1]!) : undefined;
}

export function trimSlashes(value: string): string {
  return value.replace(/^\/+|\/+$/g, '');
}

/** Lists a file, or every file under a directory, with paths relative to the directory's parent. */
export function listFiles(localPath: string): Array<{ file: string; relative: string }> {
  const base = path.basename(localPath);
  if (!fs.statSync(localPath).isDirectory()) {
    return [{ file: localPath, relative: base }];
  }
  const files: Array<{ file: string; relative: string }> = [];
  for (const entry of fs.readdirSync(localPath, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) {
      const file = path.join(entry.parentPath, entry.name);
      files.push({ file, relative: path.posix.join(base, ...path.relative(localPath, file).split(path.sep)) });
    }
  }
  return files.sort((a, b) => a.relative.localeCompare(b.relative));
}
