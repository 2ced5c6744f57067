// The Python interpreter of the OpenCV peers (bench/samples_peer.py, bench/detect-haar.py).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// 4.x: the 5.x wheels ship no Haar cascade XML files, which bench/detect-haar.py loads.
const OPENCV_REQUIREMENT = 'opencv-python-headless<5';
const VENV = path.join(process.env.CASCADE_CACHE_HOME ?? path.join(os.homedir(), '.cache', 'cascade'), 'cv-venv');

/**
 * Returns `$CASCADE_BENCH_PYTHON`, or the Python of the venv ~/.cache/cascade/cv-venv, which it
 * creates from PyPI (opencv-python-headless 4.x and numpy) when missing.
 */
export function opencvPython(): string {
  if (process.env.CASCADE_BENCH_PYTHON) {
    return process.env.CASCADE_BENCH_PYTHON;
  }
  const python = path.join(VENV, 'bin', 'python');
  if (!fs.existsSync(python)) {
    process.stderr.write(`creating ${VENV} with ${OPENCV_REQUIREMENT} and numpy from PyPI\n`);
    run('python3', ['-m', 'venv', VENV]);
    run(python, ['-m', 'pip', 'install', '--quiet', OPENCV_REQUIREMENT, 'numpy']);
  }
  return python;
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed with exit code ${result.status}`);
  }
}
