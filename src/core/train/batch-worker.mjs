// Entry point of the batch worker thread: registers tsx in this thread, then runs the TypeScript
// worker, as bin/cascade.mjs does for the main thread.
import { register } from 'tsx/esm/api';

register();
await import('./batch-worker.ts');
