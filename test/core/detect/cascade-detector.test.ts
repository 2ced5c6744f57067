import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../../src/core/backend.js';
import { CascadeDetector, fastNms } from '../../../src/core/detect/cascade-detector.js';
import { toFullyConvolutional } from '../../../src/core/detect/fully-convolutional.js';
import { pyramidLevels } from '../../../src/core/detect/pyramid.js';
import { applyCalibration, CALIBRATION_PATTERNS, iou, nms } from '../../../src/core/geometry.js';
import type { RgbImage } from '../../../src/core/image/index.js';
import { Logger } from '../../../src/core/logger.js';
import { CALIB12, CALIB24, CALIB48, NET12, NET24, NET48 } from '../../../src/plugins/models/architectures.js';
import { applyBranches } from '../../../src/plugins/models/frozen-branch.js';
import { SingleNet } from '../../../src/plugins/models/single-net.js';
import { applyOutput, applyTrunk, cropInput } from '../../../src/plugins/models/trunk.js';

function singleNet(
  name: string,
  architecture: typeof NET12,
  numClasses: number,
  seed: number,
): Promise<tf.LayersModel> {
  const task = numClasses === 2 ? 'detection' : 'calibration';
  return new SingleNet({ name, task, architecture, numClasses, initializer: 'glorotUniform', seed }).build();
}

function multiResolutionNet(architecture: typeof NET24, chain: (typeof NET12)[], seed: number): tf.LayersModel {
  const input = cropInput(architecture.inputSize);
  const own = applyTrunk(input, {
    prefix: '',
    layers: architecture.trunk,
    fcUnits: architecture.fcUnits,
    initializer: 'glorotUniform',
    seed,
  });
  const branches = applyBranches(input, chain, 'glorotUniform', seed);
  const joined = tf.layers.concatenate({ name: 'concat' }).apply([own, ...branches]) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: applyOutput(joined, 2, 'glorotUniform', seed + 100) });
}

/** Seeded random RGB image. */
function randomImage(width: number, height: number, seed: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  let state = seed;
  for (let i = 0; i < data.length; i += 1) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    data[i] = state % 256;
  }
  return { data, width, height, channels: 3 };
}

/** Builds a black image with a white square. */
function squareImage(width: number, height: number, square: { x: number; y: number; side: number }): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = square.y; y < square.y + square.side; y += 1) {
    for (let x = square.x; x < square.x + square.side; x += 1) {
      data.fill(255, (y * width + x) * 3, (y * width + x) * 3 + 3);
    }
  }
  return { data, width, height, channels: 3 };
}

/**
 * Builds a 12-net with hand-set weights whose face probability rises with the brightness of the window:
 * conv1 averages the 3x3 patch, pooling and fc1 pass the mean on, and the output compares it to 0.9.
 */
async function brightnessNet12(): Promise<tf.LayersModel> {
  const model = await singleNet('net12', NET12, 2, 1);
  const set = (name: string, values: tf.Tensor[]) => model.getLayer(name).setWeights(values);
  set('conv1', [tf.fill([3, 3, 3, 16], 1 / 27), tf.zeros([16])]);
  set('fc1', [tf.fill([4 * 4 * 16, 16], 1 / 256), tf.zeros([16])]);
  set('output', [tf.tensor2d(Array.from({ length: 16 }, () => [-2, 2])), tf.tensor1d([0, -0.9 * 16 * 2 * 2])]);
  return model;
}

/** Builds a calibration net that always predicts one pattern, through its output bias. */
async function constantCalibrationNet(pattern: number): Promise<tf.LayersModel> {
  const model = await singleNet('calib12', CALIB12, 45, 2);
  const output = model.getLayer('output');
  const [kernel] = output.getWeights();
  const bias = Array.from({ length: 45 }, (_, index) => (index === pattern ? 10 : 0));
  output.setWeights([tf.zerosLike(kernel as tf.Tensor), tf.tensor1d(bias)]);
  return model;
}

before(async () => {
  await selectBackend('tensorflow', new Logger({ level: 'silent' }));
});

describe('fully convolutional 12-net', () => {
  let net12: tf.LayersModel;
  before(async () => {
    net12 = await singleNet('net12', NET12, 2, 7);
  });
  after(() => net12.dispose());

  test('scan matches windowed 12-net', () => {
    const scanner = toFullyConvolutional(net12);
    assert.equal(scanner.windowSize, 12);
    assert.equal(scanner.stride, 2);
    const image = randomImage(40, 34, 3);
    tf.tidy(() => {
      const input = tf.tensor4d(
        Float32Array.from(image.data, (v) => v / 255),
        [1, 34, 40, 3],
      );
      const map = scanner.predict(input);
      const [, rows, columns] = map.shape;
      assert.equal(rows, 12);
      assert.equal(columns, 15);
      const windows: tf.Tensor4D[] = [];
      for (let row = 0; row < rows; row += 1) {
        for (let column = 0; column < columns; column += 1) {
          windows.push(input.slice([0, row * 2, column * 2, 0], [1, 12, 12, 3]));
        }
      }
      const windowed = (net12.predict(tf.concat(windows)) as tf.Tensor).reshape([rows, columns, 2]);
      const difference = tf.max(tf.abs(tf.sub(windowed, map.reshape([rows, columns, 2])))).dataSync()[0] ?? 1;
      assert.ok(difference < 1e-5, `max difference ${difference}`);
    });
    scanner.dispose();
  });

  test('dense layers become convolutions', () => {
    const scanner = toFullyConvolutional(net12);
    const before = tf.memory().numTensors;
    tf.tidy(() => scanner.predict(tf.zeros([1, 12, 12, 3]) as tf.Tensor4D)).dispose();
    assert.equal(tf.memory().numTensors, before);
    scanner.dispose();
  });

  test('multi-input nets are rejected', async () => {
    const a = tf.input({ shape: [12, 12, 3] });
    const b = tf.input({ shape: [12, 12, 3] });
    const joined = tf.layers.concatenate().apply([a, b]) as tf.SymbolicTensor;
    const model = tf.model({ inputs: [a, b], outputs: joined });
    assert.throws(() => toFullyConvolutional(model), /must have one NHWC image input/);
    model.dispose();
  });
});

describe('image pyramid', () => {
  test('levels start at window over min face', () => {
    const levels = pyramidLevels(640, 480, { minFaceSize: 80, factor: 0.5, windowSize: 12 });
    assert.deepEqual(
      levels.map((level) => [level.width, level.height]),
      [
        [96, 72],
        [48, 36],
        [24, 18],
      ],
    );
  });

  test('tiny image has no level', () => {
    assert.deepEqual(pyramidLevels(30, 30, { minFaceSize: 40, factor: 0.8, windowSize: 12 }), []);
  });
});

describe('cascade detector', () => {
  test('finds bright square where it is', async () => {
    const net12 = await brightnessNet12();
    const detector = new CascadeDetector({ net12 }, { minFaceSize: 40, pyramidFactor: 0.9, stride: 2 });
    const square = { x: 100, y: 60, side: 48 };
    const [detection] = detector.detect([squareImage(240, 180, square)]);
    assert.ok(detection);
    assert.ok(detection.boxes.length >= 1, 'no box found');
    const best = detection.boxes.reduce((a, b) =>
      iou(a, { x: 100, y: 60, w: 48, h: 48 }) > iou(b, { x: 100, y: 60, w: 48, h: 48 }) ? a : b,
    );
    assert.ok(iou(best, { x: 100, y: 60, w: 48, h: 48 }) > 0.6, `best box ${JSON.stringify(best)}`);
    for (const box of detection.boxes) {
      const centerX = box.x + box.w / 2;
      const centerY = box.y + box.h / 2;
      assert.ok(centerX > 100, `box center left of the square: ${JSON.stringify(box)}`);
      assert.ok(centerX < 148, `box center right of the square: ${JSON.stringify(box)}`);
      assert.ok(centerY > 60, `box center above the square: ${JSON.stringify(box)}`);
      assert.ok(centerY < 108, `box center below the square: ${JSON.stringify(box)}`);
    }
    detector.dispose();
    net12.dispose();
  });

  test('black image yields no windows', async () => {
    const net12 = await brightnessNet12();
    const detector = new CascadeDetector({ net12 }, { minFaceSize: 24 });
    const [detection] = detector.detect([squareImage(100, 80, { x: 0, y: 0, side: 0 })]);
    assert.deepEqual(detection?.boxes, []);
    assert.deepEqual(detection?.stages, [{ stage: 'net12', count: 0 }]);
    detector.dispose();
    net12.dispose();
  });

  test('calibration moves windows by its pattern', async () => {
    const net12 = await brightnessNet12();
    const pattern = 44; // scale 1.21, offsets +0.17, +0.17
    const calib12 = await constantCalibrationNet(pattern);
    const square = { x: 50, y: 40, side: 36 };
    const image = squareImage(160, 120, square);
    const options = { minFaceSize: 36, stride: 2, nms: { net12: 1 } };
    const plain = new CascadeDetector({ net12 }, options).detect([image], { recordStages: true })[0];
    const calibrated = new CascadeDetector({ net12, calib12 }, options).detect([image])[0];
    assert.ok(plain);
    assert.ok(calibrated);
    assert.equal(calibrated.boxes.length, plain.boxes.length);
    const expected = applyCalibration(plain.boxes[0]!, CALIBRATION_PATTERNS[pattern]!);
    const match = calibrated.boxes.find(
      (box) => Math.abs(box.x - expected.x) < 1e-6 && Math.abs(box.y - expected.y) < 1e-6,
    );
    assert.ok(match, 'no calibrated box at the expected position');
    assert.ok(Math.abs((match?.w ?? 0) - expected.w) < 1e-6);
    net12.dispose();
    calib12.dispose();
  });

  test('odd stride is rejected', async () => {
    const net12 = await singleNet('net12', NET12, 2, 3);
    assert.throws(
      () => new CascadeDetector({ net12 }, { stride: 3 }),
      /stride 3 is not a multiple of the 12-net's natural stride of 2/,
    );
    net12.dispose();
  });

  test('batch of images matches single calls', async () => {
    const net12 = await singleNet('net12', NET12, 2, 11);
    const net24 = multiResolutionNet(NET24, [NET12], 12);
    const detector = new CascadeDetector({ net12, net24 }, { minFaceSize: 24, thresholds: { net12: 0.3, net24: 0.3 } });
    const images = [randomImage(64, 48, 1), randomImage(50, 70, 2)];
    const together = detector.detect(images);
    const apart = images.map((image) => detector.detect([image])[0]);
    assert.equal(together.length, 2);
    together.forEach((detection, index) => {
      const single = apart[index];
      assert.deepEqual(
        detection.stages.map((stage) => stage.count),
        single?.stages.map((stage) => stage.count),
      );
      assert.equal(detection.boxes.length, single?.boxes.length);
      detection.boxes.forEach((box, boxIndex) => {
        // Batches of another size may round differently in the native kernels.
        assert.ok(Math.abs(box.score - (single?.boxes[boxIndex]?.score ?? -1)) < 1e-5);
        assert.equal(box.x, single?.boxes[boxIndex]?.x);
      });
    });
    detector.dispose();
    net12.dispose();
    net24.dispose();
  });

  test('tensor count stays constant over 100 calls', async () => {
    const nets = {
      net12: await singleNet('net12', NET12, 2, 21),
      calib12: await singleNet('calib12', CALIB12, 45, 22),
      net24: multiResolutionNet(NET24, [NET12], 23),
      calib24: await singleNet('calib24', CALIB24, 45, 24),
      net48: multiResolutionNet(NET48, [NET24, NET12], 25),
      calib48: await singleNet('calib48', CALIB48, 45, 26),
    };
    // Thresholds of 0 keep every window, so all six nets run on every call.
    const detector = new CascadeDetector(nets, {
      minFaceSize: 32,
      stride: 8,
      thresholds: { net12: 0, net24: 0, net48: 0 },
    });
    const images = [randomImage(80, 64, 5)];
    detector.detect(images);
    const start = tf.memory().numTensors;
    let finalWindows = 0;
    for (let call = 0; call < 100; call += 1) {
      const [detection] = detector.detect(images);
      finalWindows += detection?.boxes.length ?? 0;
    }
    assert.equal(tf.memory().numTensors, start);
    assert.ok(finalWindows > 0, 'the 48-stage never ran');
    detector.dispose();
    for (const net of Object.values(nets)) {
      net.dispose();
    }
  });
});

describe('window NMS', () => {
  test('fast NMS keeps what geometry NMS keeps', () => {
    let state = 9;
    const random = () => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state / 2 ** 31;
    };
    const boxes = Array.from({ length: 400 }, () => {
      const side = 20 + random() * 60;
      return { x: random() * 300, y: random() * 200, w: side, h: side, score: random() };
    });
    for (const threshold of [0.3, 0.5, 0.7]) {
      assert.deepEqual(
        fastNms(boxes, (box) => box, threshold),
        nms(boxes, threshold),
      );
    }
  });
});

describe('scan step', () => {
  test('larger step keeps every other position', async () => {
    const net12 = await singleNet('net12', NET12, 2, 31);
    const scanner = toFullyConvolutional(net12);
    tf.tidy(() => {
      const input = tf.tensor4d(
        Float32Array.from(randomImage(40, 32, 4).data, (v) => v / 255),
        [1, 32, 40, 3],
      );
      const full = scanner.predict(input);
      const strided = scanner.predict(input, 4);
      const [, rows, columns] = strided.shape;
      const expected = full.stridedSlice([0, 0, 0, 0], [1, rows * 2, columns * 2, 2], [1, 2, 2, 1]);
      const difference = tf.max(tf.abs(tf.sub(expected, strided))).dataSync()[0] ?? 1;
      assert.ok(difference < 1e-5, `max difference ${difference}`);
      assert.throws(() => scanner.predict(input, 3), /Scan step 3 is not a multiple/);
    });
    scanner.dispose();
    net12.dispose();
  });
});

describe('scan at positions', () => {
  test('gathered positions match the full map', async () => {
    const calib12 = await singleNet('calib12', CALIB12, 45, 41);
    const scanner = toFullyConvolutional(calib12);
    tf.tidy(() => {
      const input = tf.tensor4d(
        Float32Array.from(randomImage(44, 36, 6).data, (v) => v / 255),
        [1, 36, 44, 3],
      );
      const full = scanner.predict(input, 4);
      const [, rows, columns] = full.shape;
      const positions = Int32Array.from([0, 0, rows - 1, columns - 1, 2, 3, 1, 5]);
      const gathered = scanner.predictAt(input, positions, 4);
      assert.deepEqual(gathered.shape, [4, 45]);
      for (let i = 0; i < 4; i += 1) {
        const row = positions[2 * i] as number;
        const column = positions[2 * i + 1] as number;
        const expected = full.slice([0, row, column, 0], [1, 1, 1, 45]).reshape([45]);
        const difference =
          tf.max(tf.abs(tf.sub(expected, gathered.slice([i, 0], [1, 45]).reshape([45])))).dataSync()[0] ?? 1;
        assert.ok(difference < 1e-5, `position ${row},${column}: max difference ${difference}`);
      }
    });
    scanner.dispose();
    calib12.dispose();
  });
});
