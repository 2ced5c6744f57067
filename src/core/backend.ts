import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { CascadeError } from './errors.js';
import type { Logger } from './logger.js';

/** TensorFlow.js backends: native CPU, native CUDA, or pure JavaScript. */
export const BACKENDS = ['tensorflow', 'tensorflow-gpu', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

const require = createRequire(import.meta.url);

const NATIVE_PACKAGES: Record<Exclude<BackendName, 'cpu'>, { module: string; setup: string }> = {
  tensorflow: { module: '@tensorflow/tfjs-node', setup: 'npm run setup' },
  'tensorflow-gpu': { module: '@tensorflow/tfjs-node-gpu', setup: 'npm run setup -- --gpu' },
};

export interface BackendOptions {
  /** Intra-op threads of the native backend; TensorFlow's default (one per core) when unset. */
  threads?: number;
}

// TensorFlow reads this variable once, when tfjs-node creates its TensorFlow context.
const INTRA_OP_THREADS = 'TF_NUM_INTRAOP_THREADS';

/**
 * Loads and activates a backend. Native backends register themselves as "tensorflow" on the
 * shared tfjs engine; when the addon is missing this throws with the command that installs it.
 */
export async function selectBackend(name: BackendName, logger: Logger, options: BackendOptions = {}): Promise<void> {
  if (name === 'cpu') {
    logger.warn(
      'backend "cpu" is the pure JavaScript backend, about 60 times slower than "tensorflow" for training; ' +
        'use it only where the native addon cannot be built.',
    );
    if (options.threads !== undefined) {
      logger.warn(`threads: ${options.threads} has no effect on backend "cpu"; only the native backends use it.`);
    }
    await tf.setBackend('cpu');
    await tf.ready();
    return;
  }

  const native = NATIVE_PACKAGES[name];
  if (!native) {
    throw new CascadeError(`Unknown backend "${String(name)}". Backends: ${BACKENDS.join(', ')}.`);
  }
  const loaded = Boolean(tf.engine().registryFactory.tensorflow);
  if (options.threads !== undefined) {
    const current = process.env[INTRA_OP_THREADS];
    if (!loaded) {
      process.env[INTRA_OP_THREADS] = String(options.threads);
    } else if (current !== String(options.threads)) {
      logger.warn(
        `threads: ${options.threads} has no effect: TensorFlow was loaded earlier in this process with ` +
          `${current === undefined ? 'its default of one thread per core' : `${current} threads`}.`,
      );
    }
  }
  if (tf.getBackend() !== 'tensorflow' || !loaded) {
    // NOTE: the native addon prints TensorFlow's own start-up lines (oneDNN, CPU features) to stderr.
    process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
    try {
      require(native.module);
    } catch (error) {
      throw new CascadeError(
        `The native TensorFlow backend "${name}" did not load from ${native.module}. ` +
          `Install it with "${native.setup}" (it builds the addon from the PyPI TensorFlow wheel), ` +
          `or set backend: 'cpu' to train on the slow pure JavaScript backend.`,
        { cause: error },
      );
    }
  }
  const ok = await tf.setBackend('tensorflow');
  if (!ok) {
    throw new CascadeError(
      `The backend "${name}" was loaded but failed to initialize; run "${native.setup} -- --force".`,
    );
  }
  await tf.ready();
}
