// The batch worker thread: reads the sample store, draws class-balanced batches and converts them to
// float arrays while the main thread runs TensorFlow. See batch-prefetcher.ts for the protocol.
import { parentPort, workerData } from 'node:worker_threads';
import { openSampleStore } from '../store/sample-store.js';
import { BalancedSampler } from './balanced-sampler.js';
import type { BatchWorkerInit, WorkerReply, WorkerRequest } from './batch-prefetcher.js';
import { toHostBatch } from './host-batch.js';
import { deriveSeed, Random } from './random.js';
import { splitGroups } from './split.js';

if (!parentPort) {
  throw new Error('batch-worker.ts runs only as a worker thread; start it through BatchPrefetcher.');
}
const port = parentPort;
const init = workerData as BatchWorkerInit;

async function open() {
  const store = await openSampleStore(init.storeDir);
  const split = splitGroups(await store.groups(), init.validationFraction, init.splitSeed);
  return { store, isTraining: (group: string) => !split.isValidation(group) };
}

const opened = open();
let sampler: BalancedSampler | undefined;
let skipBatches = 0;

async function handle(request: WorkerRequest): Promise<void> {
  const { store, isTraining } = await opened;
  if (request.type === 'epoch') {
    await sampler?.close();
    sampler = new BalancedSampler({
      // Each pass reads the store's blocks in a new order, drawn from the epoch's seed.
      open: (pass) => store.read({ filter: isTraining, shuffle: new Random(deriveSeed(request.seed, pass)) }),
      numClasses: init.numClasses,
      classes: init.classes,
      bufferSize: init.bufferSize,
      random: new Random(request.seed),
      skip: request.skip,
    });
    skipBatches = request.skipBatches;
    return;
  }
  if (!sampler) {
    throw new Error('the batch worker got a batch request before an epoch');
  }
  // A resumed epoch draws the batches trained before the checkpoint again and drops them.
  for (; skipBatches > 0; skipBatches -= 1) {
    await sampler.nextBatch(init.batchSize);
  }
  const batch = toHostBatch(await sampler.nextBatch(init.batchSize), init.size, init.numClasses);
  const reply: WorkerReply = { type: 'batch', batch };
  port.postMessage(reply, [batch.pixels.buffer, batch.oneHot.buffer, batch.labels.buffer] as ArrayBuffer[]);
}

function replyError(error: unknown): void {
  const reply: WorkerReply = {
    type: 'error',
    message: error instanceof Error ? error.message : String(error),
    name: error instanceof Error ? error.name : 'Error',
  };
  port.postMessage(reply);
}

// Requests run one after the other, in the order they came. The first failure is reported once, and
// the main thread then stops the worker.
let queue: Promise<void> = opened.then(() => port.postMessage({ type: 'ready' } satisfies WorkerReply));
let failed = false;
queue.catch((error: unknown) => {
  failed = true;
  replyError(error);
});
port.on('message', (request: WorkerRequest) => {
  queue = queue.then(() => handle(request));
  queue.catch((error: unknown) => {
    if (!failed) {
      failed = true;
      replyError(error);
    }
  });
});
