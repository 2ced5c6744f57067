import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { ConfigError, resolveConfig } from '../../src/core/config/load.js';
import { applyOverrides, formatFieldPath, parseFieldPath } from '../../src/core/config/overrides.js';
import { definePlugin, PluginRegistry } from '../../src/core/registry.js';
import { makeTempDir, REPO_ROOT, writeFiles } from '../helpers/temp-dir.js';

const registryModule = path.join(REPO_ROOT, 'src/core/registry.ts');

/** Builds a registry with one test plugin of each kind an experiment needs. */
function testRegistry(): PluginRegistry {
  const registry = new PluginRegistry();
  const fail = () => {
    throw new Error('not created in config tests');
  };
  registry.register(
    definePlugin({
      kind: 'source',
      type: 'list',
      description: 'test',
      options: z.object({ root: z.string() }),
      create: fail,
    }),
  );
  registry.register(
    definePlugin({
      kind: 'augmenter',
      type: 'crop',
      description: 'test',
      options: z.object({ size: z.union([z.literal(12), z.literal(24), z.literal(48)]) }),
      create: fail,
    }),
  );
  for (const type of ['net12', 'calib24']) {
    registry.register(definePlugin({ kind: 'model', type, description: 'test', options: z.object({}), create: fail }));
  }
  registry.register(
    definePlugin({
      kind: 'optimizer',
      type: 'adadelta',
      description: 'test',
      options: z.object({ learningRate: z.number().positive().default(0.001) }).strict(),
      create: fail,
    }),
  );
  for (const type of ['console', 'local']) {
    registry.register(
      definePlugin({ kind: 'tracker', type, description: 'test', options: z.object({}), create: fail }),
    );
  }
  return registry;
}

const EXPERIMENT = `export default {
  name: '24cal',
  data: { sources: [{ type: 'list', root: 'faces' }], augmenters: [{ type: 'crop', size: 24 }] },
  model: { type: 'calib24' },
  train: { epochs: 5, batchSize: 64 },
};
`;

/** Creates a project folder with package.json (where the cascade.config.ts search stops) and the files. */
function makeProject(files: Record<string, string>): string {
  const dir = makeTempDir();
  writeFiles(dir, { 'package.json': '{"type":"module"}', ...files });
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

describe('resolveConfig', () => {
  it('merges the experiment over cascade.config.ts and resolves paths against the project', async () => {
    const dir = makeProject({
      'cascade.config.ts': "export default { seed: 7, dataRoot: 'datasets', backend: 'cpu' };\n",
      'experiments/24cal.ts': EXPERIMENT,
    });
    const config = await resolveConfig({
      experimentFile: path.join(dir, 'experiments/24cal.ts'),
      registry: testRegistry(),
    });
    assert.equal(config.seed, 7);
    assert.equal(config.backend, 'cpu');
    assert.equal(config.dataRoot, path.join(dir, 'datasets'));
    assert.equal(config.runsDir, path.join(dir, 'runs'));
    assert.equal(config.train.epochs, 5);
    assert.deepEqual(config.optimizer, { type: 'adadelta' });
    assert.deepEqual(
      config.trackers.map((tracker) => tracker.type),
      ['console', 'local'],
    );
  });

  it('applies --set overrides over the experiment', async () => {
    const dir = makeProject({ 'experiments/24cal.ts': EXPERIMENT });
    const config = await resolveConfig({
      experimentFile: path.join(dir, 'experiments/24cal.ts'),
      overrides: ['train.epochs=3', 'optimizer.learningRate=0.01', 'data.sources[0].root=other'],
      registry: testRegistry(),
    });
    assert.equal(config.train.epochs, 3);
    assert.equal(config.optimizer.learningRate, 0.01);
    assert.equal(config.data.sources[0]?.root, 'other');
  });

  it('reports path, expectation and value of a bad field', async () => {
    const dir = makeProject({ 'experiments/24cal.ts': EXPERIMENT });
    const file = path.join(dir, 'experiments/24cal.ts');
    await assert.rejects(
      resolveConfig({ experimentFile: file, overrides: ['train.batchSize="64x"'], registry: testRegistry() }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.deepEqual(error.issues, [
          { path: 'train.batchSize', message: 'Expected number, received string ("64x")' },
        ]);
        assert.match(
          error.message,
          /^Invalid config in .*24cal\.ts with --set overrides:\n {2}train\.batchSize: Expected number, received string \("64x"\)$/,
        );
        return true;
      },
    );
  });

  it('takes threads from the experiment and rejects a count below one', async () => {
    const dir = makeProject({ 'experiments/24cal.ts': EXPERIMENT });
    const file = path.join(dir, 'experiments/24cal.ts');
    const config = await resolveConfig({ experimentFile: file, overrides: ['threads=1'], registry: testRegistry() });
    assert.equal(config.threads, 1);
    await assert.rejects(
      resolveConfig({ experimentFile: file, overrides: ['threads=0'], registry: testRegistry() }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.deepEqual(error.issues, [{ path: 'threads', message: 'Number must be greater than 0 (0)' }]);
        return true;
      },
    );
  });

  it('reports every invalid plugin field with its path before any work starts', async () => {
    const dir = makeProject({ 'experiments/24cal.ts': EXPERIMENT });
    await assert.rejects(
      resolveConfig({
        experimentFile: path.join(dir, 'experiments/24cal.ts'),
        overrides: ['data.augmenters[0].size=20', 'model.type=net96', 'optimizer.learningRate=-1'],
        registry: testRegistry(),
      }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.deepEqual(
          error.issues.map((issue) => issue.path),
          ['data.augmenters[0].size', 'model.type', 'optimizer.learningRate'],
        );
        assert.equal(error.issues[1]?.message, 'unknown model type "net96"; known model types: calib24, net12');
        assert.equal(error.issues[2]?.message, 'Number must be greater than 0 (-1)');
        return true;
      },
    );
  });

  it('rejects an unknown top-level field', async () => {
    const dir = makeProject({
      'experiments/24cal.ts': EXPERIMENT.replace("name: '24cal',", "name: '24cal', epochs: 3,"),
    });
    await assert.rejects(
      resolveConfig({ experimentFile: path.join(dir, 'experiments/24cal.ts'), registry: testRegistry() }),
      { name: 'ConfigError', message: /\(root\): Unrecognized key\(s\) in object: 'epochs'/ },
    );
  });

  it('registers plugins from modules listed relative to the experiment', async () => {
    const plugin = `import { definePlugin } from ${JSON.stringify(registryModule)};
import { z } from 'zod';
export default definePlugin({
  kind: 'source', type: 'my-source', description: 'a third-party source',
  options: z.object({ root: z.string() }),
  create: (options) => ({ name: options.root, async *images() {} }),
});
`;
    const dir = makeProject({
      'experiments/plugins/my-source.ts': plugin,
      'experiments/mine.ts': EXPERIMENT.replace("type: 'list'", "type: 'my-source'").replace(
        "name: '24cal',",
        "name: 'mine', plugins: ['./plugins/my-source.ts'],",
      ),
    });
    const registry = testRegistry();
    const config = await resolveConfig({ experimentFile: path.join(dir, 'experiments/mine.ts'), registry });
    assert.equal(config.data.sources[0]?.type, 'my-source');
    assert.ok(registry.has('source', 'my-source'));
  });

  it('rejects a plugin module that registers an existing type, naming both origins', async () => {
    const plugin = `import { definePlugin } from ${JSON.stringify(registryModule)};
import { z } from 'zod';
export default definePlugin({ kind: 'source', type: 'list', description: 'clash', options: z.object({}), create: () => { throw new Error('unused'); } });
`;
    const dir = makeProject({
      'plugins/list.ts': plugin,
      'experiments/24cal.ts': EXPERIMENT.replace("name: '24cal',", "name: '24cal', plugins: ['../plugins/list.ts'],"),
    });
    await assert.rejects(
      resolveConfig({ experimentFile: path.join(dir, 'experiments/24cal.ts'), registry: testRegistry() }),
      {
        message: `Duplicate source type "list" from ${path.join(dir, 'plugins/list.ts')}: already registered by built-in.`,
      },
    );
  });

  it('fails with the path when the experiment file is missing', async () => {
    await assert.rejects(resolveConfig({ experimentFile: 'experiments/nope.ts', registry: testRegistry() }), {
      message: 'Experiment file not found: experiments/nope.ts',
    });
  });
});

describe('config overrides', () => {
  it('parses dotted and bracketed field paths', () => {
    assert.deepEqual(parseFieldPath('data.sources[0].root'), ['data', 'sources', 0, 'root']);
    assert.deepEqual(parseFieldPath('data.sources.1.root'), ['data', 'sources', 1, 'root']);
    assert.equal(formatFieldPath(['data', 'sources', 0, 'root']), 'data.sources[0].root');
  });

  it('parses JSON values and keeps other text as strings', () => {
    const result = applyOverrides({ train: { epochs: 1 } }, ['train.epochs=3', 'train.name=fast', 'train.flags=[1,2]']);
    assert.deepEqual(result, { train: { epochs: 3, name: 'fast', flags: [1, 2] } });
  });

  it('rejects an override without a value', () => {
    assert.throws(() => applyOverrides({}, ['train.epochs']), {
      message: 'Invalid override "train.epochs": expected path=value, such as train.epochs=3.',
    });
  });
});
