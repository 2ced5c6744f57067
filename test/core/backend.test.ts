import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/core/backend.js';
import { Logger } from '../../src/core/logger.js';

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
    await selectBackend('tensorflow', new Logger({ level: 'silent' }));
    assert.equal(tf.getBackend(), 'tensorflow');
  });
});
