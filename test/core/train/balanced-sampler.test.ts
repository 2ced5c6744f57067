import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BalancedSampler } from '../../../src/core/train/balanced-sampler.js';
import { Random } from '../../../src/core/train/random.js';
import type { Sample } from '../../../src/core/types.js';

function sample(label: number, index: number): Sample {
  return { size: 2, pixels: new Uint8Array(12).fill(index % 256), label, group: `g${index}` };
}

/** Creates a stream that counts how often it was opened. */
function stream(samples: Sample[]): { open: () => AsyncIterable<Sample>; opened: () => number } {
  let opened = 0;
  return {
    open: () => {
      opened += 1;
      return (async function* () {
        yield* samples;
      })();
    },
    opened: () => opened,
  };
}

describe('BalancedSampler', () => {
  it('fills detection batches with half faces and half non-faces from an imbalanced stream', async () => {
    const samples = [
      ...Array.from({ length: 900 }, (_, i) => sample(0, i)),
      ...Array.from({ length: 100 }, (_, i) => sample(1, 1000 + i)),
    ];
    const sampler = new BalancedSampler({
      ...stream(samples),
      numClasses: 2,
      classes: [0, 1],
      bufferSize: 64,
      random: new Random(1),
    });
    for (let batch = 0; batch < 10; batch += 1) {
      const drawn = await sampler.nextBatch(64);
      assert.equal(drawn.length, 64);
      assert.equal(drawn.filter((item) => item.label === 1).length, 32);
    }
    await sampler.close();
  });

  it('spreads calibration batches evenly over the 45 patterns', async () => {
    const samples = Array.from({ length: 45 * 20 }, (_, i) => sample(i % 45, i));
    const sampler = new BalancedSampler({
      ...stream(samples),
      numClasses: 45,
      classes: Array.from({ length: 45 }, (_, i) => i),
      bufferSize: 900,
      random: new Random(2),
    });
    for (let batch = 0; batch < 10; batch += 1) {
      const counts = new Array<number>(45).fill(0);
      for (const item of await sampler.nextBatch(64)) {
        counts[item.label] = (counts[item.label] ?? 0) + 1;
      }
      // 64 samples over 45 classes: each class gets 1 or 2.
      assert.equal(Math.min(...counts), 1);
      assert.equal(Math.max(...counts), 2);
    }
  });

  it('mixes the sources of a stream stored source by source', async () => {
    // Stores list samples source by source: here 500 of source A, then 500 of source B.
    const samples = Array.from({ length: 1000 }, (_, i) => ({
      ...sample(i % 2, i),
      group: `${i < 500 ? 'a' : 'b'}-${i}`,
    }));
    const sampler = new BalancedSampler({
      ...stream(samples),
      numClasses: 2,
      classes: [0, 1],
      bufferSize: 1000,
      random: new Random(4),
    });
    for (let batch = 0; batch < 4; batch += 1) {
      const sources = (await sampler.nextBatch(64)).map((item) => item.group[0]);
      const fromA = sources.filter((source) => source === 'a').length;
      assert.ok(fromA >= 16, `batch ${batch}: only ${fromA} of 64 from source A`);
      assert.ok(fromA <= 48, `batch ${batch}: ${fromA} of 64 from source A`);
    }
    await sampler.close();
  });

  it('reads one sample per draw from a stream sorted by class', async () => {
    const samples = [
      ...Array.from({ length: 700 }, (_, i) => sample(0, i)),
      ...Array.from({ length: 300 }, (_, i) => sample(1, 700 + i)),
    ];
    let reads = 0;
    const sampler = new BalancedSampler({
      open: () =>
        (async function* () {
          for (const item of samples) {
            reads += 1;
            yield item;
          }
        })(),
      numClasses: 2,
      classes: [0, 1],
      bufferSize: 400,
      random: new Random(5),
    });
    await sampler.nextBatch(64);
    const afterFirst = reads;
    for (let batch = 0; batch < 5; batch += 1) {
      await sampler.nextBatch(64);
    }
    // At most one read per draw; a draw that meets the end of a pass reads nothing.
    assert.ok(reads - afterFirst <= 5 * 64, `${reads - afterFirst} reads for ${5 * 64} draws`);
    assert.ok(reads - afterFirst >= 5 * 64 - 2, `${reads - afterFirst} reads for ${5 * 64} draws`);
    await sampler.close();
  });

  it('starts the stream over when a rare class runs out', async () => {
    const samples = [sample(1, 0), ...Array.from({ length: 50 }, (_, i) => sample(0, i + 1))];
    const source = stream(samples);
    const sampler = new BalancedSampler({
      ...source,
      numClasses: 2,
      classes: [0, 1],
      bufferSize: 16,
      random: new Random(3),
    });
    const drawn = await sampler.nextBatch(8);
    assert.equal(drawn.filter((item) => item.label === 1).length, 4);
    assert.ok(source.opened() >= 4, `stream opened ${source.opened()} times`);
  });

  it('skips the start of the first pass', async () => {
    const samples = Array.from({ length: 100 }, (_, i) => sample(i % 2, i));
    const sampler = new BalancedSampler({
      ...stream(samples),
      numClasses: 2,
      classes: [0, 1],
      bufferSize: 4,
      random: new Random(6),
      skip: 50,
    });
    const indices = (await sampler.nextBatch(4)).map((item) => Number(item.group.slice(1)));
    assert.ok(Math.min(...indices) >= 50, indices.join(', '));
  });

  it('draws the same batches for the same seed', async () => {
    const samples = Array.from({ length: 300 }, (_, i) => sample(i % 3 === 0 ? 1 : 0, i));
    const draw = async (seed: number): Promise<string[]> => {
      const sampler = new BalancedSampler({
        ...stream(samples),
        numClasses: 2,
        classes: [0, 1],
        bufferSize: 32,
        random: new Random(seed),
      });
      const groups: string[] = [];
      for (let batch = 0; batch < 5; batch += 1) {
        groups.push(...(await sampler.nextBatch(16)).map((item) => item.group));
      }
      return groups;
    };
    assert.deepEqual(await draw(9), await draw(9));
    assert.notDeepEqual(await draw(9), await draw(10));
  });

  it('rejects a class that the training split does not contain', async () => {
    const samples = Array.from({ length: 20 }, (_, i) => sample(0, i));
    const sampler = new BalancedSampler({
      ...stream(samples),
      numClasses: 2,
      classes: [0, 1],
      bufferSize: 16,
      random: new Random(4),
    });
    await assert.rejects(sampler.nextBatch(4), /training split has no samples of a class/);
  });

  it('rejects a label outside the classes of the net', async () => {
    const sampler = new BalancedSampler({
      ...stream([sample(5, 0)]),
      numClasses: 2,
      classes: [0, 1],
      bufferSize: 16,
      random: new Random(5),
    });
    await assert.rejects(sampler.nextBatch(2), /label 5, outside the 2 classes/);
  });
});
