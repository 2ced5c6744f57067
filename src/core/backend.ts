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

/**
 * Loads and activates a backend. Native backends register themselves as "tensorflow" on the
 * shared tfjs engine; when the addon is missing this throws with the command that installs it.
 */
export async function selectBackend(name: BackendName, logger: Logger): Promise<void> {
  if (name === 'cpu') {
    logger.warn(
      'backend "cpu" is the pure JavaScript backend, about 60 times slower than "tensorflow" for training; ' +
        'use it only where the native addon cannot be built.',
    );
    await tf.setBackend('cpu');
    await tf.ready();
    return;
  }

  const native = NATIVE_PACKAGES[name];
  if (!native) {
    throw new CascadeError(`Unknown backend "${String(name)}". Backends: ${BACKENDS.join(', ')}.`);
  }
  if (tf.getBackend() !== 'tensorflow' || !tf.engine().registryFactory.tensorflow) {
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
