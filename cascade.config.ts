import { defineProject, type TrackerSpec } from './src/index.js';

// Runs also go to MLflow when MLFLOW_TRACKING_URI names a tracking server (see docs/mlflow.md).
const trackers: TrackerSpec[] = [{ type: 'console' }, { type: 'local' }];
if (process.env.MLFLOW_TRACKING_URI) {
  trackers.push({ type: 'mlflow' });
}

// Project defaults; every experiment in experiments/ is merged over these.
export default defineProject({
  backend: 'tensorflow',
  seed: 42,
  // The shared test images sit beside the repository; set CASCADE_DATA_ROOT to use another copy.
  dataRoot: process.env.CASCADE_DATA_ROOT ?? '../shared/data',
  cacheDir: '.cascade/cache',
  runsDir: 'runs',
  trackers,
});
