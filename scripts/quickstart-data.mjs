#!/usr/bin/env node
// Fetches the quickstart data from PyPI alone: scikit-image's wheel carries `skimage/data/lfw_subset.npy`
// (100 LFW face crops, then 100 non-face crops, 25x25 grey) and sample photographs without faces.
// The wheel is cached under ~/.cache/cascade/wheels; the files go to .cascade/quickstart/ in the
// repository. Running it again does nothing once the data is complete.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const REPO_ROOT = path.resolve(import.meta.dirname, '..');
const TARGET = path.join(REPO_ROOT, '.cascade', 'quickstart');
const COMPLETE_MARKER = path.join(TARGET, '.complete');
const WHEEL_CACHE = path.join(os.homedir(), '.cache', 'cascade', 'wheels');
const PYTHON = process.env.PYTHON ?? 'python3';

const CROPS_MEMBER = 'skimage/data/lfw_subset.npy';
// Photographs and textures of scikit-image's data folder that show no human face. Left out on
// purpose: astronaut.png and camera.png, which show people.
const BACKGROUND_MEMBERS = [
  'brick.png',
  'cell.png',
  'chelsea.png',
  'chessboard_RGB.png',
  'clock_motion.png',
  'coffee.png',
  'coins.png',
  'color.png',
  'grass.png',
  'gravel.png',
  'horse.png',
  'hubble_deep_field.jpg',
  'ihc.png',
  'logo.png',
  'moon.png',
  'motorcycle_left.png',
  'page.png',
  'retina.jpg',
  'rocket.jpg',
  'text.png',
].map((name) => `skimage/data/${name}`);

// Extracts members of a zip file with Python's zipfile module (pip needs Python anyway).
const EXTRACT_SCRIPT = `
import os, sys, zipfile
wheel, target, members = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(wheel) as archive:
    names = set(archive.namelist())
    missing = [member for member in members if member not in names]
    if missing:
        sys.exit("missing in " + wheel + ": " + ", ".join(missing))
    for member in members:
        folder = "backgrounds" if not member.endswith(".npy") else ""
        out = os.path.join(target, folder, os.path.basename(member))
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with archive.open(member) as source, open(out, "wb") as sink:
            sink.write(source.read())
`;

function fail(message) {
  process.stderr.write(`error: ${message}\n`);
  process.exit(1);
}

function run(command, args) {
  const result = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.error) {
    fail(`failed to run ${command}: ${result.error.message}. Install Python 3 with pip, or set PYTHON to its path.`);
  }
  if (result.status !== 0) {
    fail(`${command} ${args.slice(0, 4).join(' ')} ... exited with status ${result.status}.`);
  }
}

function findWheel() {
  if (!fs.existsSync(WHEEL_CACHE)) {
    return undefined;
  }
  const wheels = fs.readdirSync(WHEEL_CACHE).filter((name) => /^scikit_image-.*\.whl$/.test(name));
  return wheels.length > 0 ? path.join(WHEEL_CACHE, wheels.sort().at(-1)) : undefined;
}

if (fs.existsSync(COMPLETE_MARKER)) {
  process.stderr.write(`quickstart data is ready in ${path.relative(process.cwd(), TARGET) || TARGET}\n`);
  process.exit(0);
}

let wheel = findWheel();
if (!wheel) {
  process.stderr.write(`downloading scikit-image's wheel from PyPI into ${WHEEL_CACHE}\n`);
  fs.mkdirSync(WHEEL_CACHE, { recursive: true });
  run(PYTHON, ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--dest', WHEEL_CACHE, 'scikit-image']);
  wheel = findWheel();
  if (!wheel) {
    fail(`pip reported success, but no scikit_image-*.whl is in ${WHEEL_CACHE}.`);
  }
}

// Extract into a temporary folder and rename it, so an interrupted run leaves no half-filled target.
const temp = `${TARGET}.partial-${process.pid}`;
fs.rmSync(temp, { recursive: true, force: true });
fs.mkdirSync(temp, { recursive: true });
run(PYTHON, ['-c', EXTRACT_SCRIPT, wheel, temp, CROPS_MEMBER, ...BACKGROUND_MEMBERS]);
fs.writeFileSync(path.join(temp, '.complete'), `${path.basename(wheel)}\n`);
fs.rmSync(TARGET, { recursive: true, force: true });
fs.renameSync(temp, TARGET);
process.stderr.write(
  `quickstart data: ${CROPS_MEMBER} and ${BACKGROUND_MEMBERS.length} face-free images from ${path.basename(wheel)} in ${TARGET}\n`,
);
