import type { Logger } from '../../../core/logger.js';
import type { Tracker } from '../../../core/tracker.js';

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
// Conventional exit codes: 128 plus the signal number.
const EXIT_CODES: Record<(typeof SIGNALS)[number], number> = { SIGINT: 130, SIGTERM: 143 };

export interface EndRunsOnSignalOptions {
  logger: Logger;
  /** Called as soon as a signal arrives, so that the training loop can stop at its next step. */
  onSignal?: (signal: NodeJS.Signals) => void;
  /** Called once every run has ended; by default sets `process.exitCode` to 130 or 143. */
  onEnded?: (signal: NodeJS.Signals) => void;
}

/**
 * Ends the runs of `trackers` as KILLED on SIGINT or SIGTERM, flushing what they buffered. It
 * never exits the process: the caller stops its work in `onSignal` and returns normally, and a
 * later `endRun('FINISHED')` has no effect because the first `endRun` wins. A second signal, after
 * the handlers are removed, ends the process the default way. Returns a function that removes the
 * handlers, for the end of a run that was not interrupted.
 *
 * Wiring in a training loop:
 *   const stopWatching = endRunsOnSignal(trackers, { logger, onSignal: () => { stop = true; } });
 *   try { ...train, checking `stop` each step... } finally { stopWatching(); }
 */
export function endRunsOnSignal(trackers: readonly Tracker[], options: EndRunsOnSignalOptions): () => void {
  const handlers = new Map<NodeJS.Signals, () => void>();
  const remove = (): void => {
    for (const [signal, handler] of handlers) {
      process.off(signal, handler);
    }
    handlers.clear();
  };

  for (const signal of SIGNALS) {
    const handler = (): void => {
      remove();
      options.logger.warn(`received ${signal}: ending ${trackers.length} tracker run(s) as KILLED`);
      options.onSignal?.(signal);
      void Promise.allSettled(trackers.map((tracker) => tracker.endRun('KILLED'))).then((results) => {
        for (const [index, result] of results.entries()) {
          if (result.status === 'rejected') {
            options.logger.error(
              `tracker ${trackers[index]?.name} failed to end its run: ${(result.reason as Error)?.message ?? result.reason}`,
            );
          }
        }
        if (options.onEnded) {
          options.onEnded(signal);
        } else {
          process.exitCode = EXIT_CODES[signal];
        }
      });
    };
    handlers.set(signal, handler);
    process.on(signal, handler);
  }
  return remove;
}
