// Measures training samples per second of the six nets on the native backend against Keras
// (tensorflow-cpu from PyPI) with the same architecture, batch size 64 and Adadelta, in one run.
// The cascade side runs the training loop's own pipeline: a worker thread draws class-balanced
// batches from a sample store on disk (random crops) and converts them to floats, and the main thread
// uploads them and runs one optimizer step. It measures each net in a new process,
// with the TensorFlow threads that the net's experiment file sets (`threads`), since TensorFlow
// fixes them when it loads. The Keras side (bench/train_keras.py) runs model.fit on float32 arrays
// with its defaults. Nets alternate between the two, to share any machine load.
//
// Each net gets `--rounds` alternating rounds, and each side's best round counts, as in
// bench/samples.ts: on a shared machine a slow round is another process's doing, not the code's.
//
// Usage: node bin/run-ts.mjs bench/train.ts [--nets net12,net48] [--seconds 4] [--rounds 3]
// The peer uses the Python of $CASCADE_KERAS_PYTHON, or else of the venv ~/.cache/cascade/keras-venv,
// which it creates with pip from the tensorflow-cpu wheel in ~/.cache/cascade/wheels when missing.
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import * as tf from '@tensorflow/tfjs';
import type { Augmenter } from '../src/core/augmenter.js';
import { selectBackend } from '../src/core/backend.js';
import type { DataSource } from '../src/core/data-source.js';
import { Logger } from '../src/core/logger.js';
import type { Model } from '../src/core/model.js';
import { buildSampleStore, type SampleStore } from '../src/core/store/index.js';
import { hostBatchTensors } from '../src/core/train/batch.js';
import { BatchPrefetcher } from '../src/core/train/batch-prefetcher.js';
import { writeModel } from '../src/core/train/model-files.js';
import { Random } from '../src/core/train/random.js';
import { createTrainStep } from '../src/core/train/train-step.js';
import { CALIB12, CALIB24, CALIB48, NET12, NET24, NET48 } from '../src/plugins/models/architectures.js';
import { MultiResolutionNet } from '../src/plugins/models/multi-resolution-net.js';
import { SingleNet } from '../src/plugins/models/single-net.js';
import { AdadeltaOptimizer } from '../src/plugins/optimizers/adadelta-optimizer.js';

const BATCH_SIZE = 64;
const CACHE = path.join(os.homedir(), '.cache', 'cascade');
const VENV = path.join(CACHE, 'keras-venv');
const WARMUP_STEPS = 10;

function flag(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index > 0 ? process.argv[index + 1] : undefined;
}
const NETS = (flag('--nets') ?? 'net12,calib12,net24,calib24,net48,calib48').split(',');
// The experiment file of each net, whose `threads` the cascade side uses.
const EXPERIMENTS: Record<string, string> = {
  net12: '12net.ts',
  calib12: '12cal.ts',
  net24: '24net.ts',
  calib24: '24cal.ts',
  net48: '48net.ts',
  calib48: '48cal.ts',
};
const WORKER = flag('--worker');
// Both sides train each net for about this long, so fast and slow nets get comparable precision.
const SECONDS = Number(flag('--seconds') ?? 4);
const ROUNDS = Number(flag('--rounds') ?? 3);

function peerPython(): string {
  if (process.env.CASCADE_KERAS_PYTHON) {
    return process.env.CASCADE_KERAS_PYTHON;
  }
  const python = path.join(VENV, 'bin', 'python');
  if (!fs.existsSync(python)) {
    const wheels = path.join(CACHE, 'wheels');
    const wheel = fs.readdirSync(wheels).find((name) => name.startsWith('tensorflow_cpu-'));
    process.stderr.write(`creating ${VENV} with ${wheel ?? 'tensorflow-cpu from PyPI'}\n`);
    run('python3', ['-m', 'venv', VENV]);
    run(python, ['-m', 'pip', 'install', '--quiet', wheel ? path.join(wheels, wheel) : 'tensorflow-cpu']);
  }
  return python;
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed with exit code ${result.status}`);
  }
}

/** The Keras peer process, which writes one JSON line per request. */
class KerasPeer {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: AsyncIterator<string>;

  constructor(python: string) {
    this.#child = spawn(python, [path.join(import.meta.dirname, 'train_keras.py')], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.#child.stderr.resume();
    this.#lines = createInterface({ input: this.#child.stdout })[Symbol.asyncIterator]();
  }

  async next(): Promise<Record<string, unknown>> {
    const line = await this.#lines.next();
    if (line.done) {
      throw new Error('the Keras peer exited early; run bench/train_keras.py by hand to see its error');
    }
    return JSON.parse(line.value) as Record<string, unknown>;
  }

  async measure(net: string, steps: number): Promise<number> {
    this.#child.stdin.write(`${net} ${steps} ${BATCH_SIZE}\n`);
    return (await this.next()).samples_per_second as number;
  }

  close(): void {
    this.#child.stdin.end();
  }
}

/** Builds a net as the model plugins do; the 24/48-nets get frozen branches from freshly built nets. */
async function buildNet(name: string, runsDir: string): Promise<Model> {
  const common = { initializer: 'glorotUniform' as const, seed: 1 };
  const single = { net12: NET12, calib12: CALIB12, calib24: CALIB24, calib48: CALIB48 }[name];
  if (single) {
    const task = name.startsWith('calib') ? 'calibration' : 'detection';
    return new SingleNet({ name, task, architecture: single, numClasses: task === 'detection' ? 2 : 45, ...common });
  }
  const earlier = name === 'net24' ? await buildNet('net12', runsDir) : await buildNet('net24', runsDir);
  const runDir = path.join(runsDir, earlier.name);
  fs.mkdirSync(path.join(runDir, 'model'), { recursive: true });
  const built = await earlier.build();
  await writeModel(built, path.join(runDir, 'model'));
  built.dispose();
  fs.writeFileSync(path.join(runDir, 'config.json'), '{}');
  return new MultiResolutionNet({
    name,
    architecture: name === 'net24' ? NET24 : NET48,
    chain: name === 'net24' ? [NET12] : [NET24, NET12],
    trainedRun: runDir,
    cacheDir: runsDir,
    projectDir: runsDir,
    ...common,
  });
}

/** Writes a sample store of random crops, the labels taken in turn, from 64 source images. */
async function randomStore(size: number, numClasses: number, count: number, cacheDir: string): Promise<SampleStore> {
  const random = new Random(5);
  const source: DataSource = {
    name: 'random',
    async *images() {
      yield { id: 'none', source: 'random', path: '', width: size, height: size, faces: [] };
    },
  };
  const augmenter: Augmenter = {
    name: 'random-crops',
    size,
    numClasses,
    async *samples() {
      for (let index = 0; index < count; index += 1) {
        const pixels = new Uint8Array(size * size * 3);
        for (let i = 0; i < pixels.length; i += 1) {
          pixels[i] = random.int(256);
        }
        yield { size, pixels, label: index % numClasses, group: `image-${index % 64}` };
      }
    },
  };
  return buildSampleStore({
    sources: [source],
    augmenters: [augmenter],
    cacheDir,
    logger: new Logger({ level: 'warn' }),
    key: { bench: 'random', size, numClasses, count },
  });
}

async function measureCascade(net: Model, cacheDir: string): Promise<{ samplesPerSecond: number; steps: number }> {
  const model = await net.build();
  const optimizer = new AdadeltaOptimizer(1, 0.95, 1e-8);
  const step = createTrainStep(model, optimizer, { weightDecay: 0 });
  const store = await randomStore(net.inputSize, net.numClasses, 4096, cacheDir);
  const batches = await BatchPrefetcher.start({
    storeDir: store.dir,
    validationFraction: 0,
    splitSeed: 1,
    numClasses: net.numClasses,
    classes: Array.from({ length: net.numClasses }, (_, label) => label),
    bufferSize: 2048,
    size: net.inputSize,
    batchSize: BATCH_SIZE,
  });
  batches.startEpoch({ seed: 1, skip: 0, skipBatches: 0, batches: Number.MAX_SAFE_INTEGER });
  const trainOneStep = async (): Promise<void> => {
    const { x, y, labels } = hostBatchTensors(await batches.next(), net.inputSize, net.numClasses);
    step(x, y, labels);
    tf.dispose([x, y]);
  };

  for (let index = 0; index < WARMUP_STEPS; index += 1) {
    await trainOneStep();
  }
  const started = performance.now();
  let steps = 0;
  while (performance.now() - started < SECONDS * 1000) {
    await trainOneStep();
    steps += 1;
  }
  const seconds = (performance.now() - started) / 1000;
  await batches.close();
  model.dispose();
  optimizer.dispose();
  return { samplesPerSecond: (steps * BATCH_SIZE) / seconds, steps };
}

/** Reads the `threads` setting of a net's experiment file; undefined means TensorFlow's default. */
async function experimentThreads(net: string): Promise<number | undefined> {
  const file = path.join(import.meta.dirname, '..', 'experiments', EXPERIMENTS[net] ?? `${net}.ts`);
  const experiment = (await import(file)) as { default: { threads?: number } };
  return experiment.default.threads;
}

/** Measures one net in this process and prints the result as one JSON line. */
async function worker(name: string): Promise<void> {
  const threads = await experimentThreads(name);
  await selectBackend('tensorflow', new Logger({ level: 'warn' }), threads === undefined ? {} : { threads });
  const runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cascade-bench-train-'));
  try {
    const net = await buildNet(name, runsDir);
    const result = await measureCascade(net, runsDir);
    process.stdout.write(`${JSON.stringify({ ...result, threads: threads ?? null })}\n`);
  } finally {
    fs.rmSync(runsDir, { recursive: true, force: true });
  }
}

/** Runs the worker for one net in a new process. */
function measureInChild(name: string): { samplesPerSecond: number; steps: number; threads: number | null } {
  const result = spawnSync(
    process.execPath,
    [
      path.join(import.meta.dirname, '..', 'bin', 'run-ts.mjs'),
      import.meta.filename,
      '--worker',
      name,
      '--seconds',
      String(SECONDS),
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const line = result.stdout?.trim().split('\n').at(-1);
  if (result.status !== 0 || !line) {
    throw new Error(`measuring ${name} failed with exit code ${result.status}`);
  }
  return JSON.parse(line);
}

if (WORKER) {
  await worker(WORKER);
} else {
  const peer = new KerasPeer(peerPython());
  const versions = await peer.next();
  const rows: Array<{ net: string; cascade: number; keras: number; threads: number | null }> = [];
  try {
    for (const name of NETS) {
      let best = { cascade: 0, keras: 0, threads: null as number | null };
      for (let round = 1; round <= ROUNDS; round += 1) {
        const cascade = measureInChild(name);
        // Keras gets the same number of samples as the cascade side trained in its time budget.
        const keras = await peer.measure(name, cascade.steps);
        best = {
          cascade: Math.max(best.cascade, cascade.samplesPerSecond),
          keras: Math.max(best.keras, keras),
          threads: cascade.threads,
        };
        process.stderr.write(
          `${name} round ${round}: cascade ${cascade.samplesPerSecond.toFixed(0)}/s, keras ${keras.toFixed(0)}/s\n`,
        );
      }
      rows.push({ net: name, ...best });
    }
  } finally {
    peer.close();
  }

  process.stdout.write(
    `\nTraining samples/s (best of ${ROUNDS} rounds), batch ${BATCH_SIZE}, Adadelta, ${os.cpus().length} CPU cores; ` +
      `tfjs-node ${tf.version_core} vs TensorFlow ${versions.tensorflow} / Keras ${versions.keras}\n\n`,
  );
  process.stdout.write('| net | cascade threads | cascade (tfjs-node) | Keras | ratio |\n|---|---|---|---|---|\n');
  for (const row of rows) {
    process.stdout.write(
      `| ${row.net} | ${row.threads ?? 'default'} | ${row.cascade.toFixed(0)} | ${row.keras.toFixed(0)} | ` +
        `${(row.cascade / row.keras).toFixed(2)}x |\n`,
    );
  }
}
