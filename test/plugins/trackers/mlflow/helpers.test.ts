import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { artifactRootOf } from '../../../../src/plugins/trackers/mlflow/artifact-paths.js';
import { formatComparison, shorten } from '../../../../src/plugins/trackers/mlflow/compare.js';
import { readCredentials, redactSecrets, redactUri } from '../../../../src/plugins/trackers/mlflow/credentials.js';
import { flattenParams } from '../../../../src/plugins/trackers/mlflow/flatten.js';
import { encodeMetricValue, invalidKeyReason } from '../../../../src/plugins/trackers/mlflow/limits.js';
import { MetricQueue } from '../../../../src/plugins/trackers/mlflow/metric-queue.js';
import { backoffDelayMs, parseRetryAfterMs } from '../../../../src/plugins/trackers/mlflow/retry.js';
import { makeTempDir } from '../../../helpers/temp-dir.js';

describe('flattenParams', () => {
  it('joins nested keys with dots and array items by index', () => {
    const params = flattenParams({
      train: { batchSize: 64, earlyStopping: { metric: 'val_loss' } },
      data: { sources: [{ type: 'fddb', folds: [1, 2] }], augmenters: [] },
      options: {},
      enabled: true,
      missing: undefined,
      nothing: null,
    });
    assert.deepEqual(params, {
      'train.batchSize': '64',
      'train.earlyStopping.metric': 'val_loss',
      'data.sources.0.type': 'fddb',
      'data.sources.0.folds.0': '1',
      'data.sources.0.folds.1': '2',
      'data.augmenters': '[]',
      options: '{}',
      enabled: 'true',
      nothing: 'null',
    });
  });
});

describe('retry timing', () => {
  it('draws backoff between zero and the doubled bound, capped', () => {
    const policy = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1_000 };
    assert.equal(
      backoffDelayMs(0, policy, () => 0.999),
      100,
    );
    assert.equal(
      backoffDelayMs(2, policy, () => 0.5),
      200,
    );
    assert.equal(
      backoffDelayMs(8, policy, () => 1),
      1_000,
    );
    assert.equal(
      backoffDelayMs(3, policy, () => 0),
      0,
    );
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfterMs('3', now), 3_000);
    assert.equal(parseRetryAfterMs('0.5', now), 500);
    assert.equal(parseRetryAfterMs('Thu, 01 Jan 2026 00:00:07 GMT', now), 7_000);
    assert.equal(parseRetryAfterMs('soon', now), undefined);
    assert.equal(parseRetryAfterMs(undefined, now), undefined);
  });
});

describe('credentials', () => {
  it('prefers a bearer token over basic auth', () => {
    const credentials = readCredentials({
      MLFLOW_TRACKING_TOKEN: 'tok-1',
      MLFLOW_TRACKING_USERNAME: 'ann',
      MLFLOW_TRACKING_PASSWORD: 'pw-2',
    });
    assert.equal(credentials.authorization, 'Bearer tok-1');
    assert.deepEqual(credentials.secrets, ['tok-1']);
  });

  it('builds basic auth and lists the password and its encoding as secrets', () => {
    const credentials = readCredentials({ MLFLOW_TRACKING_USERNAME: 'ann', MLFLOW_TRACKING_PASSWORD: 'pw-2' });
    const encoded = Buffer.from('ann:pw-2').toString('base64');
    assert.equal(credentials.authorization, `Basic ${encoded}`);
    assert.deepEqual(credentials.secrets, ['pw-2', encoded]);
  });

  it('redacts secrets and the user info of a URI', () => {
    assert.equal(redactSecrets('token tok-1 and tok-1', ['tok-1']), 'token *** and ***');
    assert.equal(redactUri('http://ann:pw@127.0.0.1:5000/'), 'http://127.0.0.1:5000');
    assert.equal(redactUri('http://127.0.0.1:5000'), 'http://127.0.0.1:5000');
  });
});

describe('metric encoding and artifact roots', () => {
  it('writes NaN and infinities as MLflow strings', () => {
    assert.equal(encodeMetricValue(Number.NaN), 'NaN');
    assert.equal(encodeMetricValue(Number.POSITIVE_INFINITY), 'Infinity');
    assert.equal(encodeMetricValue(Number.NEGATIVE_INFINITY), '-Infinity');
    assert.equal(encodeMetricValue(0.25), 0.25);
  });

  it('flags keys that MLflow rejects', () => {
    for (const key of ['train.batchSize', 'val_recall', 'roc/fddb fold:1', 'größe']) {
      assert.equal(invalidKeyReason(key), undefined, key);
    }
    assert.match(invalidKeyReason('recall@100') ?? '', /may only contain/);
    assert.match(invalidKeyReason('/abs') ?? '', /normalized relative paths/);
    assert.match(invalidKeyReason('a//b') ?? '', /normalized relative paths/);
    assert.match(invalidKeyReason('../up') ?? '', /normalized relative paths/);
    assert.match(invalidKeyReason('k'.repeat(251)) ?? '', /251 characters \(limit 250\)/);
    assert.equal(invalidKeyReason(''), 'empty key');
  });

  it('maps mlflow-artifacts URIs to proxy paths and rejects others', () => {
    assert.equal(artifactRootOf('mlflow-artifacts:/1/abc/artifacts'), '1/abc/artifacts');
    assert.equal(artifactRootOf('mlflow-artifacts://host:5000/1/abc/artifacts'), '1/abc/artifacts');
    assert.equal(artifactRootOf('/srv/mlruns/1/abc/artifacts'), undefined);
    assert.equal(artifactRootOf(undefined), undefined);
  });
});

describe('MetricQueue', () => {
  it('keeps order across memory and the spill file', () => {
    const dir = makeTempDir();
    const spillFile = path.join(dir, 'run', 'pending.jsonl');
    const queue = new MetricQueue({ maxInMemory: 3, spillFile });
    for (let step = 0; step < 10; step += 1) {
      queue.push({ key: 'loss', value: step, timestamp: 1_000 + step, step });
    }
    assert.equal(queue.size, 10);
    assert.equal(queue.spilledTotal, 7);
    assert.ok(fs.existsSync(spillFile));

    const sent: number[] = [];
    while (queue.size > 0) {
      const batch = queue.peek(2);
      sent.push(...batch.map((metric) => metric.step));
      queue.drop(batch.length);
      if (sent.length === 4) {
        // Pushed while spilled metrics wait: goes behind them.
        queue.push({ key: 'loss', value: 10, timestamp: 1_010, step: 10 });
      }
    }
    assert.deepEqual(sent, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(fs.existsSync(spillFile), false);
  });
});

describe('runs compare table', () => {
  it('shortens long param values and keeps short ones', () => {
    const long = JSON.stringify([
      { type: 'fddb', root: 'fddb', folds: [1, 2] },
      { type: 'wider-face', root: 'x' },
    ]);
    assert.equal(shorten('adadelta'), 'adadelta');
    assert.equal(shorten(long).length, 48);
    assert.ok(shorten(long).endsWith('...'));

    const table = formatComparison({
      params: ['data.sources'],
      metrics: ['val_accuracy'],
      runs: [
        {
          info: { run_id: 'abcdef0123456789', run_name: 'net12', status: 'FINISHED' },
          data: { params: [{ key: 'data.sources', value: long }], metrics: [{ key: 'val_accuracy', value: 0.9361 }] },
        },
      ],
    } as never);
    const row = table.split('\n')[2] ?? '';
    assert.ok(!row.includes(long), 'the whole value is not printed');
    assert.match(row, /^net12 {2}abcdef01 {2}FINISHED {2}\[\{"type":"fddb".*\.\.\. +0\.9361$/);
  });
});
