import path from 'node:path';
import type { DependencyContainer } from 'tsyringe';
import { resolveConfigObject } from '../../../src/core/config/load.js';
import type { ResolvedConfig } from '../../../src/core/config/schema.js';
import { createContainer } from '../../../src/core/container.js';
import { Logger } from '../../../src/core/logger.js';
import { PluginRegistry } from '../../../src/core/registry.js';
import type { SampleStore } from '../../../src/core/store/index.js';
import { buildStoreForConfig } from '../../../src/core/train/sample-data.js';
import { registerBuiltins } from '../../../src/plugins/builtins.js';
import { SHARED_DATA } from '../../helpers/temp-dir.js';

/**
 * A small real detection set: 100 LFW face crops (positives, mirrored) and windows from the
 * face-free images, including the 100 LFW background crops.
 */
export const SMALL_DETECTION_DATA = {
  sources: [
    { type: 'image-folder', name: 'faces', root: 'face-crops/lfw-subset-25px' },
    { type: 'backgrounds', root: 'backgrounds' },
  ],
  augmenters: [
    { type: 'positives', size: 12, mirror: true },
    { type: 'negatives', size: 12, windowsPerImage: 8 },
  ],
};

/** Resolves a config over the shared data with runs and caches in `dir`; `experiment` fields override. */
export async function testConfig(dir: string, experiment: Record<string, unknown>): Promise<ResolvedConfig> {
  return resolveConfigObject({
    project: {
      dataRoot: SHARED_DATA,
      cacheDir: path.join(dir, 'cache'),
      runsDir: path.join(dir, 'runs'),
      trackers: [],
      logLevel: 'silent',
      seed: 7,
    },
    experiment: { name: 'test-net', data: SMALL_DETECTION_DATA, model: { type: 'net12' }, ...experiment },
    registry: registerBuiltins(new PluginRegistry()),
  });
}

export async function testContainer(config: ResolvedConfig): Promise<DependencyContainer> {
  return createContainer({
    config,
    registry: registerBuiltins(new PluginRegistry()),
    logger: new Logger({ level: 'silent' }),
  });
}

/** Builds the store of a config with a silent logger. */
export async function testStore(config: ResolvedConfig): Promise<SampleStore> {
  return buildStoreForConfig(await testContainer(config), config);
}
