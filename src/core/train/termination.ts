import type { Logger } from '../logger.js';

// Trackers get this long to close a run after Ctrl-C before the process exits.
const SIGNAL_GRACE_MS = 5_000;
// The shell's exit codes for a process ended by a signal: 128 + the signal number.
const SIGNAL_EXIT_CODES: Record<'SIGINT' | 'SIGTERM', number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * Runs `onSignal` once on SIGINT or SIGTERM (to mark runs KILLED and flush trackers), waits for it
 * at most SIGNAL_GRACE_MS, then exits with 128 + the signal number. Returns the function that
 * removes the handlers, to call when the work ends normally.
 */
export function handleTermination(onSignal: (signal: NodeJS.Signals) => Promise<unknown>, logger: Logger): () => void {
  const handler = (signal: 'SIGINT' | 'SIGTERM'): void => {
    const ended = onSignal(signal).catch((error: unknown) => {
      logger.error(`closing the run after ${signal} failed: ${(error as Error).message}`);
    });
    const timeout = new Promise((resolve) => setTimeout(resolve, SIGNAL_GRACE_MS));
    void Promise.race([ended, timeout]).finally(() => process.exit(SIGNAL_EXIT_CODES[signal]));
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
