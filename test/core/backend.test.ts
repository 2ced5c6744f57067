import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/core/backend.js';
import { Logger } from '../../src/core/logger.js';
import { makeTempDir, REPO_ROOT } from '../helpers/temp-dir.js';

describe('selectBackend', () => {
  it('activates the native tensorflow backend by default', async () => {
    await selectBackend('tensorflow', new Logger({ level: 'silent' }));
    assert.equal(tf.getBackend(), 'tensorflow');
  });

  it('trains one native step and changes the loss', async () => {
    await selectBackend('tensorflow', new Logger({ level: 'silent' }));
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [12, 12, 3], filters: 4, kernelSize: 3, activation: 'relu', seed: 1 } as never),
        tf.layers.flatten(),
        tf.layers.dense({ units: 2, activation: 'softmax' }),
      ],
    });
    model.compile({ optimizer: tf.train.sgd(0.5), loss: 'categoricalCrossentropy' });
    const x = tf.randomUniform([8, 12, 12, 3], 0, 1, 'float32', 7);
    const y = tf.oneHot(tf.tensor1d([0, 1, 0, 1, 0, 1, 0, 1], 'int32'), 2);

    const before = (model.evaluate(x, y) as tf.Scalar).dataSync()[0] as number;
    const loss = await model.trainOnBatch(x, y);
    const after = (model.evaluate(x, y) as tf.Scalar).dataSync()[0] as number;

    assert.equal(typeof loss, 'number');
    assert.ok(Number.isFinite(after));
    assert.notEqual(after, before);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('warns that the pure JavaScript backend is slow when asked for by name', async () => {
    const lines: string[] = [];
    const stream = { write: (chunk: string) => lines.push(chunk) } as unknown as NodeJS.WritableStream;
    await selectBackend('cpu', new Logger({ level: 'warn', stream }));
    assert.equal(tf.getBackend(), 'cpu');
    assert.match(lines.join(''), /about 60 times slower/);
    await selectBackend('cpu', new Logger({ level: 'warn', stream }), { threads: 2 });
    assert.match(lines.join(''), /threads: 2 has no effect on backend "cpu"/);
    await selectBackend('tensorflow', new Logger({ level: 'silent' }));
    assert.equal(tf.getBackend(), 'tensorflow');
  });

  it('hands the threads setting to TensorFlow before the addon loads', () => {
    const script = path.join(makeTempDir(), 'threads.mts');
    fs.writeFileSync(
      script,
      `import { selectBackend } from ${JSON.stringify(path.join(REPO_ROOT, 'src/core/backend.ts'))};
import { Logger } from ${JSON.stringify(path.join(REPO_ROOT, 'src/core/logger.ts'))};
await selectBackend('tensorflow', new Logger({ level: 'silent' }), { threads: 1 });
process.stdout.write(String(process.env.TF_NUM_INTRAOP_THREADS));
`,
    );
    const env = { ...process.env };
    delete env.TF_NUM_INTRAOP_THREADS;
    const result = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: REPO_ROOT, encoding: 'utf8', env });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, '1');
  });

  it('warns that a threads setting comes too late once TensorFlow is loaded', async () => {
    await selectBackend('tensorflow', new Logger({ level: 'silent' }));
    const lines: string[] = [];
    const stream = { write: (chunk: string) => lines.push(chunk) } as unknown as NodeJS.WritableStream;
    const requested = Number(process.env.TF_NUM_INTRAOP_THREADS ?? 0) + 3;
    await selectBackend('tensorflow', new Logger({ level: 'warn', stream }), { threads: requested });
    assert.match(lines.join(''), new RegExp(`threads: ${requested} has no effect: TensorFlow was loaded earlier`));
    assert.notEqual(process.env.TF_NUM_INTRAOP_THREADS, String(requested));
  });
});
