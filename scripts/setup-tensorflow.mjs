#!/usr/bin/env node
// Installs the native TensorFlow addon for @tensorflow/tfjs-node (or -gpu with --gpu).
//
// The upstream install script downloads libtensorflow 2.9.1 and a prebuilt addon from a
// storage host. Where that download fails, this script takes the TensorFlow C library from
// the PyPI wheel: tensorflow-cpu, or tensorflow for the GPU build, whose library carries the
// CUDA kernels. It lays the library out where the upstream script expects its download, and
// the upstream script then builds the addon from source with node-gyp.
//
// Usage: node scripts/setup-tensorflow.mjs [--gpu] [--force] [--skip-download]
// CASCADE_SETUP_DEBUG=1 prints the full output of the failed upstream download.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PROJECT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// The wheel whose C library was built and tested against tfjs-node 4.22.0 on Node 20.
const TENSORFLOW_WHEEL_VERSION = process.env.CASCADE_TF_WHEEL_VERSION ?? '2.21.0';
// tfjs-node 4.22.0 looks for libtensorflow under this version in its deps/lib folder.
const LIBTENSORFLOW_VERSION = '2.9.1';
// Upper bound for the upstream download attempt; on a closed network it fails at once.
const UPSTREAM_TIMEOUT_MS = 120_000;
// Headers the addon's sources include, directly or through other headers.
const HEADER_PREFIXES = [
  'tensorflow/include/tensorflow/c/',
  'tensorflow/include/tensorflow/core/platform/',
  'tensorflow/include/tsl/',
  'tensorflow/include/xla/tsl/c/',
];

const args = new Set(process.argv.slice(2));
const gpu = args.has('--gpu');
const force = args.has('--force');
const skipDownload = args.has('--skip-download') || process.env.CASCADE_TF_SKIP_UPSTREAM === '1';
const packageName = gpu ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
const wheelName = gpu ? 'tensorflow' : 'tensorflow-cpu';

const require = createRequire(path.join(PROJECT_DIR, 'package.json'));

function log(message) {
  process.stderr.write(`[setup-tensorflow] ${message}\n`);
}

function packageDir() {
  try {
    return path.dirname(require.resolve(`${packageName}/package.json`));
  } catch (error) {
    throw new Error(`${packageName} is not installed; run "npm ci --ignore-scripts" first.`, {
      cause: error,
    });
  }
}

/** Loads the addon in a child process, so that a crash does not take this script down. */
function addonLoads() {
  const probe = `const tf = require(${JSON.stringify(packageName)}); tf.tensor([1]).dispose(); console.log(tf.getBackend());`;
  const result = spawnSync(process.execPath, ['-e', probe], { cwd: PROJECT_DIR, encoding: 'utf8' });
  return result.status === 0 && result.stdout.trim() === 'tensorflow';
}

function buildEnv(dir) {
  const binDirs = [path.join(PROJECT_DIR, 'node_modules', '.bin'), path.join(dir, 'node_modules', '.bin')];
  const env = { ...process.env, PATH: [...binDirs, process.env.PATH].join(path.delimiter) };
  // Debian's nodejs ships the headers under /usr/include/node, so node-gyp needs no download.
  if (!env.npm_config_nodedir && fs.existsSync('/usr/include/node/node_api.h')) {
    env.npm_config_nodedir = '/usr';
  }
  return env;
}

function runUpstreamInstall(dir) {
  log(`trying the upstream install of ${packageName} (downloads libtensorflow)`);
  const result = spawnSync(process.execPath, ['scripts/install.js', gpu ? 'gpu' : 'cpu', 'download'], {
    cwd: dir,
    env: buildEnv(dir),
    encoding: 'utf8',
    timeout: UPSTREAM_TIMEOUT_MS,
  });
  if (result.status === 0) {
    return true;
  }
  // Keep the expected failure on closed networks to one line; the full output is in the debug log.
  const output = `${result.stdout ?? ''}\n${result.stderr ?? ''}`;
  const reason = output.split('\n').find((line) => /^\w*Error:/.test(line.trim())) ?? `exit code ${result.status}`;
  log(`the upstream download failed: ${reason.trim()}`);
  if (process.env.CASCADE_SETUP_DEBUG) {
    process.stderr.write(output);
  }
  return false;
}

function cacheDir() {
  const base = process.env.CASCADE_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'cascade');
  const dir = path.join(base, 'wheels');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function findWheel(dir) {
  const prefix = `${wheelName.replace('-', '_')}-${TENSORFLOW_WHEEL_VERSION}-`;
  return fs.readdirSync(dir).find((name) => name.startsWith(prefix) && name.endsWith('.whl'));
}

function downloadWheel() {
  const dir = cacheDir();
  let wheel = findWheel(dir);
  if (wheel) {
    log(`using cached wheel ${path.join(dir, wheel)}`);
    return path.join(dir, wheel);
  }
  log(`downloading ${wheelName}==${TENSORFLOW_WHEEL_VERSION} from PyPI into ${dir}`);
  const python = process.env.PYTHON ?? 'python3';
  execFileSync(
    python,
    [
      '-m',
      'pip',
      'download',
      '--no-deps',
      '--only-binary=:all:',
      '-d',
      dir,
      `${wheelName}==${TENSORFLOW_WHEEL_VERSION}`,
    ],
    { stdio: 'inherit' },
  );
  wheel = findWheel(dir);
  if (!wheel) {
    throw new Error(`pip reported success but no ${wheelName} ${TENSORFLOW_WHEEL_VERSION} wheel is in ${dir}.`);
  }
  return path.join(dir, wheel);
}

/** Copies the C libraries and headers out of the wheel (a zip file) into deps/. */
function layOutWheel(wheelPath, dir) {
  const depsDir = path.join(dir, 'deps');
  const libDir = path.join(depsDir, 'lib');
  const includeDir = path.join(depsDir, 'include');
  fs.rmSync(depsDir, { recursive: true, force: true });
  fs.mkdirSync(libDir, { recursive: true });
  fs.mkdirSync(includeDir, { recursive: true });

  // Python's zipfile streams single members, which keeps the 800 MB library out of memory.
  const extractor = `
import shutil, sys, zipfile
wheel, lib_dir, include_dir, version = sys.argv[1:5]
prefixes = sys.argv[5:]
with zipfile.ZipFile(wheel) as archive:
    members = {
        'tensorflow/libtensorflow_cc.so.2': f'{lib_dir}/libtensorflow.so.{version}',
        'tensorflow/libtensorflow_framework.so.2': f'{lib_dir}/libtensorflow_framework.so.{version}',
    }
    for member, target in members.items():
        with archive.open(member) as source, open(target, 'wb') as sink:
            shutil.copyfileobj(source, sink, 1 << 20)
    count = 0
    for name in archive.namelist():
        if name.endswith('/') or not any(name.startswith(p) for p in prefixes):
            continue
        target = include_dir + '/' + name[len('tensorflow/include/'):]
        import os
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with archive.open(name) as source, open(target, 'wb') as sink:
            shutil.copyfileobj(source, sink)
        count += 1
    print(count)
`;
  const python = process.env.PYTHON ?? 'python3';
  const headerCount = execFileSync(
    python,
    ['-c', extractor, wheelPath, libDir, includeDir, LIBTENSORFLOW_VERSION, ...HEADER_PREFIXES],
    { encoding: 'utf8' },
  ).trim();
  log(`extracted the C libraries and ${headerCount} headers`);

  // The addon links against libtensorflow.so, and the loader then requests its SONAME, libtensorflow_cc.so.2.
  const links = {
    'libtensorflow.so': `libtensorflow.so.${LIBTENSORFLOW_VERSION}`,
    'libtensorflow.so.2': `libtensorflow.so.${LIBTENSORFLOW_VERSION}`,
    'libtensorflow_cc.so.2': `libtensorflow.so.${LIBTENSORFLOW_VERSION}`,
    'libtensorflow_framework.so': `libtensorflow_framework.so.${LIBTENSORFLOW_VERSION}`,
    'libtensorflow_framework.so.2': `libtensorflow_framework.so.${LIBTENSORFLOW_VERSION}`,
  };
  for (const [link, target] of Object.entries(links)) {
    fs.symlinkSync(target, path.join(libDir, link));
  }
}

function buildAddonFromSource(dir) {
  log('building the addon from source with node-gyp (a few minutes on 2 cores)');
  // With deps/lib in place the upstream script skips its library download and builds the addon.
  const result = spawnSync(process.execPath, ['scripts/install.js', gpu ? 'gpu' : 'cpu'], {
    cwd: dir,
    env: buildEnv(dir),
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    throw new Error(
      `building the ${packageName} addon failed (exit code ${result.status}); see the node-gyp output above.`,
    );
  }
}

function main() {
  const started = Date.now();
  const dir = packageDir();
  if (!force && addonLoads()) {
    log(`${packageName} already loads its native backend; nothing to do (use --force to rebuild)`);
    return;
  }
  if (!skipDownload && runUpstreamInstall(dir) && addonLoads()) {
    log(`upstream install of ${packageName} succeeded`);
    return;
  }
  log('the upstream download is not available; using the PyPI wheel instead');
  layOutWheel(downloadWheel(), dir);
  buildAddonFromSource(dir);
  if (!addonLoads()) {
    throw new Error(`${packageName} was built but does not load; run: node -e "require('${packageName}')" to see why.`);
  }
  log(`${packageName} is ready (${((Date.now() - started) / 1000).toFixed(0)} s)`);
}

try {
  main();
} catch (error) {
  log(`failed: ${error.message}`);
  process.exit(1);
}
