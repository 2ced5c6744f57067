import { Worker } from 'node:worker_threads';
import { CascadeError } from '../errors.js';
import type { HostBatch } from './host-batch.js';

/** Options of the batch worker: the store, its training split and the batches to draw from it. */
export interface BatchWorkerInit {
  storeDir: string;
  /** The split of `splitGroups`: the worker computes the same one from the store's groups. */
  validationFraction: number;
  splitSeed: number;
  numClasses: number;
  /** Labels present in the training split; batches draw from these alone. */
  classes: number[];
  bufferSize: number;
  /** Side of the crops in pixels. */
  size: number;
  batchSize: number;
}

/** One epoch of batches: the sampler's seed and its skip, as `BalancedSampler` takes them. */
export interface EpochPlan {
  seed: number;
  skip: number;
  /** Batches drawn and dropped first, to continue a resumed epoch where its checkpoint stopped. */
  skipBatches: number;
  /** Batches the epoch will take; the worker never prepares more. */
  batches: number;
}

export type WorkerRequest = ({ type: 'epoch' } & Omit<EpochPlan, 'batches'>) | { type: 'next' };
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'batch'; batch: HostBatch }
  | { type: 'error'; name: string; message: string };

/** Batches prepared ahead of the one in training. */
const DEFAULT_DEPTH = 2;

/**
 * Draws training batches in a worker thread, so that reading the store, sampling and converting
 * crops to floats overlap the TensorFlow step on the main thread. The worker runs the same
 * `BalancedSampler` with the same seeds, so the batches are the ones the main thread would draw.
 *
 * Call `startEpoch`, then `next` once per batch of the epoch, and `close` at the end.
 */
export class BatchPrefetcher {
  readonly #worker: Worker;
  readonly #depth: number;
  readonly #ready: HostBatch[] = [];
  readonly #waiting: Array<{ resolve: (batch: HostBatch) => void; reject: (error: Error) => void }> = [];
  #failure: Error | undefined;
  /** Batches of the current epoch not yet requested from the worker. */
  #unrequested = 0;
  #closed = false;

  private constructor(worker: Worker, depth: number) {
    this.#worker = worker;
    this.#depth = depth;
  }

  /** Starts the worker and waits until it has opened the store. */
  static async start(init: BatchWorkerInit, depth = DEFAULT_DEPTH): Promise<BatchPrefetcher> {
    const worker = new Worker(new URL('./batch-worker.mjs', import.meta.url), { workerData: init });
    const prefetcher = new BatchPrefetcher(worker, depth);
    await new Promise<void>((resolve, reject) => {
      worker.once('message', (reply: WorkerReply) => {
        if (reply.type === 'error') {
          reject(prefetcher.#errorFrom(reply));
        } else {
          resolve();
        }
      });
      worker.once('error', reject);
    }).catch(async (error: unknown) => {
      await worker.terminate();
      throw new CascadeError(`The batch worker failed to open the sample store ${init.storeDir}.`, { cause: error });
    });
    worker.on('message', (reply: WorkerReply) => prefetcher.#receive(reply));
    worker.on('error', (error) => prefetcher.#fail(error));
    worker.on('exit', (code) => {
      if (!prefetcher.#closed) {
        prefetcher.#fail(new Error(`the batch worker exited with code ${code}`));
      }
    });
    return prefetcher;
  }

  /** Begins an epoch; the batches still queued from the previous one must all have been taken. */
  startEpoch(plan: EpochPlan): void {
    const { batches, ...epoch } = plan;
    this.#worker.postMessage({ type: 'epoch', ...epoch } satisfies WorkerRequest);
    const first = Math.min(this.#depth, batches);
    this.#unrequested = batches - first;
    for (let index = 0; index < first; index += 1) {
      this.#worker.postMessage({ type: 'next' } satisfies WorkerRequest);
    }
  }

  /** Returns the next batch of the epoch, once the worker has prepared it. */
  async next(): Promise<HostBatch> {
    if (this.#failure) {
      throw this.#failure;
    }
    const batch =
      this.#ready.shift() ??
      (await new Promise<HostBatch>((resolve, reject) => this.#waiting.push({ resolve, reject })));
    if (this.#unrequested > 0) {
      this.#unrequested -= 1;
      this.#worker.postMessage({ type: 'next' } satisfies WorkerRequest);
    }
    return batch;
  }

  /** Stops the worker. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#worker.terminate();
  }

  #receive(reply: WorkerReply): void {
    if (reply.type === 'batch') {
      const waiting = this.#waiting.shift();
      if (waiting) {
        waiting.resolve(reply.batch);
      } else {
        this.#ready.push(reply.batch);
      }
    } else if (reply.type === 'error') {
      this.#fail(this.#errorFrom(reply));
    }
  }

  #errorFrom(reply: Extract<WorkerReply, { type: 'error' }>): Error {
    // The worker's CascadeErrors carry advice for the user, so they keep their class.
    return reply.name === 'CascadeError' ? new CascadeError(reply.message) : new Error(reply.message);
  }

  #fail(error: Error): void {
    this.#failure ??=
      error instanceof CascadeError
        ? error
        : new CascadeError(`Drawing training batches failed: ${error.message}`, { cause: error });
    for (const waiting of this.#waiting.splice(0)) {
      waiting.reject(this.#failure);
    }
  }
}
