import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { container } from 'tsyringe';
import { z } from 'zod';
import type { DataSource } from '../../src/core/data-source.js';
import { CascadeError } from '../../src/core/errors.js';
import { Logger } from '../../src/core/logger.js';
import { definePlugin, PluginRegistry } from '../../src/core/registry.js';
import type { Runtime } from '../../src/core/runtime.js';

function listSource(type: string) {
  return definePlugin({
    kind: 'source',
    type,
    description: `test source ${type}`,
    options: z.object({ root: z.string(), limit: z.number().int().positive().optional() }).strict(),
    create: (options): DataSource => ({
      name: `${type}:${options.root}`,
      async *images() {},
    }),
  });
}

describe('PluginRegistry', () => {
  it('rejects an unknown type and lists the known types of that kind', () => {
    const registry = new PluginRegistry();
    registry.register(listSource('fddb'));
    registry.register(listSource('aflw'));
    assert.throws(() => registry.definition('source', 'widerface'), {
      name: 'CascadeError',
      message:
        'Unknown source type "widerface". Known source types: aflw, fddb. ' +
        'A third-party source must be listed in the config\'s "plugins" so that it is registered.',
    });
  });

  it('rejects a duplicate type and names the existing registration', () => {
    const registry = new PluginRegistry();
    registry.register(listSource('fddb'));
    assert.throws(() => registry.register(listSource('fddb'), '/project/plugins/my-fddb.ts'), {
      message: 'Duplicate source type "fddb" from /project/plugins/my-fddb.ts: already registered by built-in.',
    });
  });

  it('allows the same type name under two different kinds', () => {
    const registry = new PluginRegistry();
    registry.register(listSource('local'));
    registry.register(
      definePlugin({
        kind: 'tracker',
        type: 'local',
        description: 'test tracker',
        options: z.object({}),
        create: () => {
          throw new Error('not created in this test');
        },
      }),
    );
    assert.deepEqual(registry.types('source'), ['local']);
    assert.deepEqual(registry.types('tracker'), ['local']);
  });

  it('validates options and reports field paths under the spec path', () => {
    const registry = new PluginRegistry();
    registry.register(listSource('fddb'));
    const issues = registry.validate('source', { type: 'fddb', root: 7, limit: -1 }, 'data.sources[0]');
    assert.deepEqual(
      issues.map((issue) => issue.path),
      ['data.sources[0].root', 'data.sources[0].limit'],
    );
    assert.match(issues[0]?.message ?? '', /Expected string, received number/);
  });

  it('creates a plugin with parsed options', async () => {
    const registry = new PluginRegistry();
    registry.register(listSource('fddb'));
    const runtime: Runtime = {
      backend: 'cpu',
      seed: 1,
      projectDir: '/p',
      dataRoot: '/p/data',
      cacheDir: '/p/cache',
      runsDir: '/p/runs',
    };
    const source = await registry.create(
      'source',
      { type: 'fddb', root: 'fddb' },
      // The config is not read by this plugin.
      { container, logger: new Logger({ level: 'silent' }), runtime, config: {} as never },
    );
    assert.equal(source.name, 'fddb:fddb');
  });

  it('throws CascadeError when create gets invalid options', async () => {
    const registry = new PluginRegistry();
    registry.register(listSource('fddb'));
    await assert.rejects(
      registry.create(
        'source',
        { type: 'fddb' },
        {
          container,
          logger: new Logger({ level: 'silent' }),
          runtime: {} as never,
          config: {} as never,
        },
      ),
      (error: unknown) => error instanceof CascadeError && /root: Required/.test(error.message),
    );
  });
});
