import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Logger } from '../../../src/core/logger.js';
import { ConsoleTracker } from '../../../src/plugins/trackers/console.js';

/** Returns a stream that collects what is written to it, as a log file (not a terminal) would. */
function logFile(): { lines: string[]; stream: NodeJS.WritableStream } {
  const lines: string[] = [];
  const stream = { write: (chunk: string) => lines.push(chunk), isTTY: false } as unknown as NodeJS.WritableStream;
  return { lines, stream };
}

describe('ConsoleTracker', () => {
  it('draws one bar per epoch and prints validation metrics', async () => {
    const { lines, stream } = logFile();
    const tracker = new ConsoleTracker(new Logger({ level: 'info', stream }));
    await tracker.startRun({ experiment: '12net', runName: 'run-1', runDir: '/tmp/run-1' });
    await tracker.logParams({ 'train.batchSize': 64, 'train.stepsPerEpoch': 10, 'train.epochs': 2 });
    tracker.logMetrics({ epoch: 1, train_loss: 0.69, train_accuracy: 0.5 }, 5);
    tracker.logMetrics({ epoch: 1, train_loss: 0.5, train_accuracy: 0.8, val_loss: 0.4, val_accuracy: 0.85 }, 10);
    tracker.logMetrics({ epoch: 2, train_loss: 0.3, train_accuracy: 0.9 }, 15);
    await tracker.endRun('FINISHED');

    const output = lines.join('');
    assert.match(output, /run-1 epoch 1\/2 .* 640\/640 .*samples\/s .*loss=0\.5000 acc=0\.800/);
    assert.match(output, /epoch 1: train_loss 0\.5000, train_accuracy 0\.8000, val_loss 0\.4000, val_accuracy 0\.8500/);
    assert.match(output, /run-1 epoch 2\/2 .* 320\/640/);
    assert.match(output, /run run-1 ended: FINISHED/);
  });

  it('rates only the steps after a resume', async (context) => {
    context.mock.timers.enable({ apis: ['Date'], now: 0 });
    const { lines, stream } = logFile();
    const tracker = new ConsoleTracker(new Logger({ level: 'info', stream }));
    await tracker.startRun({ experiment: '12net', runName: 'run-2', runDir: '/tmp/run-2' });
    await tracker.logParams({ 'train.batchSize': 64, 'train.stepsPerEpoch': 10, 'train.epochs': 2 });
    // The checkpoint was written after step 5, so the bar starts at 5 x 64 samples.
    await tracker.rewind(5);
    tracker.logMetrics({ epoch: 1, train_loss: 0.6 }, 6);
    context.mock.timers.tick(1000);
    tracker.logMetrics({ epoch: 1, train_loss: 0.5 }, 8);
    // Validation takes 5 s, and the final line ends at the last step.
    context.mock.timers.tick(5000);
    tracker.logMetrics({ epoch: 1, train_loss: 0.5, val_loss: 0.4 }, 8);
    await tracker.endRun('FINISHED');

    // Steps 6 to 8 (192 samples) in 1 s.
    assert.match(lines.join(''), /run-2 epoch 1\/2 \[#+\.+\] 512\/640 192 samples\/s 1\.0 s/);
  });

  it('writes a short bar to a log once', (context) => {
    context.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    const { lines, stream } = logFile();
    const progress = new Logger({ level: 'info', stream }).progress('detect', 2, 'images');
    progress.tick();
    context.mock.timers.tick(500);
    progress.tick();
    progress.done();

    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? '', /^detect \[#+\] 2\/2 4\.0 images\/s 0\.5 s\n$/);
  });

  it('writes validation fields on the final line only', (context) => {
    context.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    const { lines, stream } = logFile();
    const progress = new Logger({ level: 'info', stream }).progress('epoch 1/1', 10, 'samples');
    context.mock.timers.tick(4500);
    progress.tick(10, { loss: 0.5 });
    // Validation ends past the log interval; its fields bring no new samples.
    context.mock.timers.tick(2000);
    progress.tick(0, { loss: 0.5, val_loss: 0.4 });
    progress.done();

    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? '', /^epoch 1\/1 \[#+\] 10\/10 2\.2 samples\/s 4\.5 s loss=0\.5000 val_loss=0\.4000\n$/);
  });

  it('skips a repeated final line', (context) => {
    context.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    const { lines, stream } = logFile();
    const progress = new Logger({ level: 'info', stream }).progress('epoch 1/1', 20, 'samples');
    context.mock.timers.tick(5000);
    progress.tick(10, { loss: 0.6 });
    // The last item comes one log interval later, so its tick writes a line with every item counted.
    context.mock.timers.tick(5000);
    progress.tick(10, { loss: 0.5 });
    progress.done();

    assert.deepEqual(lines, [
      'epoch 1/1 [############............] 10/20 2.0 samples/s 5.0 s loss=0.6000\n',
      'epoch 1/1 [########################] 20/20 2.0 samples/s 10.0 s loss=0.5000\n',
    ]);
  });
});
