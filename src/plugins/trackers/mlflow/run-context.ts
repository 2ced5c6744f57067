import { execFileSync } from 'node:child_process';
import os from 'node:os';

/** Git state of the working directory, as MLflow's `mlflow.source.git.*` tags record it. */
export interface GitInfo {
  commit: string;
  /** Undefined on a detached HEAD. */
  branch?: string;
}

/** Reads the commit and branch of the repository around `cwd`; undefined outside a repository or without git. */
export function readGitInfo(cwd: string): GitInfo | undefined {
  const commit = runGit(cwd, ['rev-parse', 'HEAD']);
  if (!commit) {
    return undefined;
  }
  const branch = runGit(cwd, ['rev-parse', '--abbrev-ref', 'HEAD']);
  return { commit, branch: branch && branch !== 'HEAD' ? branch : undefined };
}

/** Returns the user name for `mlflow.user`: the login name, or `USER` when that lookup fails. */
export function currentUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? 'unknown';
  }
}

function runGit(cwd: string, args: string[]): string | undefined {
  try {
    return execFileSync('git', args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5_000,
    }).trim();
  } catch {
    return undefined;
  }
}
