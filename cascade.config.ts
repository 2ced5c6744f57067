import { defineProject } from './src/index.js';

// Project defaults; every experiment in experiments/ is merged over these.
export default defineProject({
  backend: 'tensorflow',
  seed: 42,
  // The shared test images sit beside the repository; set CASCADE_DATA_ROOT to use another copy.
  dataRoot: process.env.CASCADE_DATA_ROOT ?? '../shared/data',
  cacheDir: '.cascade/cache',
  runsDir: 'runs',
  trackers: [],
});
