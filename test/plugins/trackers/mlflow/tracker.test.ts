import 'reflect-metadata';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { endRunsOnSignal } from '../../../../src/plugins/trackers/mlflow/end-on-signal.js';
import { flattenParams } from '../../../../src/plugins/trackers/mlflow/flatten.js';
import { mlflowSkipReason, type TrackingServer, useTrackingServer } from '../../../helpers/mlflow-server.js';
import { makeTempDir, REPO_ROOT } from '../../../helpers/temp-dir.js';
import {
  createTracker,
  readerClient,
  recordingLogger,
  sampleConfig,
  startProxy,
  toRecord,
  waitFor,
} from './fixtures.js';

/** Runs the cascade CLI; `env` entries are added to the environment, without MLFLOW_TRACKING_URI from outside. */
function cascade(...args: Array<string | Record<string, string>>) {
  const extraEnv = args.find((arg): arg is Record<string, string> => typeof arg === 'object') ?? {};
  const { MLFLOW_TRACKING_URI: _ignored, ...env } = process.env;
  return spawnSync(
    process.execPath,
    [path.join(REPO_ROOT, 'bin/cascade.mjs'), ...args.filter((arg): arg is string => typeof arg === 'string')],
    { cwd: REPO_ROOT, encoding: 'utf8', env: { ...env, ...extraEnv } },
  );
}

// Deterministic bytes for artifacts (a linear congruential generator), so a failure is reproducible.
function seededBytes(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed;
  for (let index = 0; index < length; index += 1) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    bytes[index] = state & 0xff;
  }
  return bytes;
}

describe('MlflowTracker against a real MLflow server', { skip: mlflowSkipReason() }, () => {
  let server: TrackingServer;
  const tmp = makeTempDir('cascade-mlflow-test-');

  before(async () => {
    server = await useTrackingServer();
  });

  after(async () => {
    await server?.dispose();
  });

  it('stores every kind of run data', async () => {
    const { logger, lines } = recordingLogger();
    const config = sampleConfig('net12-full');
    const tracker = await createTracker(config, { trackingUri: server.uri, flushIntervalMs: 100 }, logger);
    const runDir = path.join(tmp, 'full');
    await tracker.startRun({ experiment: 'net12-full', runName: 'net12-a', runDir, tags: { stage: '12-net' } });

    await tracker.logParams({ 'optimizer.learningRate': 0.1, 'notes.long': 'x'.repeat(7000) });
    await tracker.setTags({ 'cascade.role': 'integration-test' });
    const baseTime = 1_700_000_000_000;
    const steps = 2500;
    for (let step = 0; step < steps; step += 1) {
      const loss = step === 7 ? Number.NaN : 1 / (step + 1);
      tracker.logMetrics({ loss, accuracy: step / steps }, step, baseTime + step * 10.4);
    }

    const weights = path.join(tmp, 'weights.bin');
    fs.writeFileSync(weights, seededBytes(300_000, 11));
    const plots = path.join(tmp, 'plots');
    fs.mkdirSync(path.join(plots, 'roc'), { recursive: true });
    fs.writeFileSync(path.join(plots, 'loss.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>\n');
    fs.writeFileSync(path.join(plots, 'roc', 'fddb.csv'), 'fp,recall\n100,0.85\n');
    await tracker.logArtifact(weights, 'weights');
    await tracker.logArtifact(plots);

    const digest = createHash('sha256').update('samples of net12').digest('hex');
    await tracker.logInput({ name: 'net12-samples', digest, sourceType: 'local', source: '/cache/net12.sqlite' });

    const child = await tracker.startChild({
      experiment: 'net12-full',
      runName: 'stage-24',
      runDir: path.join(runDir, 'c'),
    });
    child.logMetrics({ recall: 0.97 }, 0, baseTime);
    await tracker.endRun('FINISHED');

    const reader = readerClient(server.uri);
    const run = await reader.getRun(tracker.runId!);
    assert.equal(run.info.status, 'FINISHED');
    assert.equal(typeof run.info.end_time, 'number');
    assert.equal(run.info.run_name, 'net12-a');

    const params = toRecord(run.data.params);
    const expectedConfigParams = flattenParams({ ...config, file: undefined, projectFile: undefined });
    for (const [key, value] of Object.entries(expectedConfigParams)) {
      assert.equal(params[key], value, `param ${key}`);
    }
    assert.equal(params['train.batchSize'], '64');
    assert.equal(params['data.sources.0.type'], 'fddb');
    assert.equal(params['optimizer.learningRate'], '0.1');
    assert.equal(params['notes.long']?.length, 6000);
    assert.ok(params['notes.long']?.endsWith('...'));
    assert.ok(lines.some((line) => line.includes('truncated 1 param value(s)') && line.includes('notes.long')));

    const tags = toRecord(run.data.tags);
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    const branch = execFileSync('git', ['rev-parse', '--abbrev-ref', 'HEAD'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    }).trim();
    assert.equal(tags['mlflow.runName'], 'net12-a');
    assert.ok(tags['mlflow.user']);
    assert.ok(tags['mlflow.source.name']);
    assert.equal(tags['mlflow.source.git.commit'], commit);
    assert.equal(tags['mlflow.source.git.branch'], branch);
    assert.equal(tags.stage, '12-net');
    assert.equal(tags['cascade.role'], 'integration-test');

    const losses = await reader.getMetricHistory(tracker.runId!, 'loss');
    assert.equal(losses.length, steps);
    const bySteps = [...losses].sort((a, b) => a.step - b.step);
    assert.deepEqual(
      bySteps.map((metric) => metric.step),
      Array.from({ length: steps }, (_, step) => step),
    );
    assert.equal(bySteps[7]?.value, 'NaN');
    assert.equal(bySteps[99]?.value, 1 / 100);
    assert.equal(bySteps[3]?.timestamp, Math.round(baseTime + 3 * 10.4));
    assert.ok(bySteps.every((metric) => Number.isInteger(metric.timestamp)));
    assert.equal((await reader.getMetricHistory(tracker.runId!, 'accuracy')).length, steps);

    const root = `${run.info.experiment_id}/${run.info.run_id}/artifacts`;
    assert.deepEqual(await reader.downloadArtifact(`${root}/weights/weights.bin`), fs.readFileSync(weights));
    assert.equal((await reader.downloadArtifact(`${root}/plots/roc/fddb.csv`)).toString(), 'fp,recall\n100,0.85\n');
    assert.equal(
      (await reader.downloadArtifact(`${root}/plots/loss.svg`)).toString(),
      '<svg xmlns="http://www.w3.org/2000/svg"/>\n',
    );
    const storedConfig = JSON.parse((await reader.downloadArtifact(`${root}/config/resolved-config.json`)).toString());
    assert.equal(storedConfig.name, 'net12-full');
    assert.equal(storedConfig.train.batchSize, 64);

    const inputs = run.inputs?.dataset_inputs ?? [];
    assert.equal(inputs.length, 1);
    assert.equal(inputs[0]?.dataset.name, 'net12-samples');
    assert.equal(inputs[0]?.dataset.digest, digest.slice(0, 36));
    assert.equal(toRecord(inputs[0]?.tags)['cascade.digest'], digest);
    assert.equal(toRecord(inputs[0]?.tags)['mlflow.data.context'], 'training');

    const childRun = await reader.getRun((child as typeof tracker).runId!);
    assert.equal(childRun.info.status, 'FINISHED');
    assert.equal(childRun.info.experiment_id, run.info.experiment_id);
    assert.equal(toRecord(childRun.data.tags)['mlflow.parentRunId'], run.info.run_id);
    assert.equal(toRecord(childRun.data.tags)['mlflow.runName'], 'stage-24');
    assert.deepEqual(
      (await reader.getMetricHistory(childRun.info.run_id, 'recall')).map((metric) => metric.value),
      [0.97],
    );
    assert.equal(fs.existsSync(path.join(runDir, 'mlflow-pending-metrics.jsonl')), false);
    await reader.close();
  });

  it('sends each param value once', async () => {
    const proxy = await startProxy(server.uri);
    const paramBatches = () =>
      proxy.requests
        .filter((request) => request.url === '/api/2.0/mlflow/runs/log-batch' && request.body.includes('"params"'))
        .map((request) => (JSON.parse(request.body.toString()).params as Array<{ key: string }>).map(({ key }) => key));
    try {
      const config = sampleConfig('net12-params');
      const tracker = await createTracker(config, { trackingUri: proxy.uri }, recordingLogger().logger);
      await tracker.startRun({ experiment: 'net12-params', runName: 'params-once', runDir: path.join(tmp, 'params') });
      // startRun logged the config, which contains train.epochs.
      const afterStart = paramBatches().length;
      assert.ok(afterStart > 0);

      await tracker.logParams({ 'train.epochs': config.train.epochs, 'data.trainingSamples': 640 });
      assert.deepEqual(paramBatches().slice(afterStart), [['data.trainingSamples']]);
      await tracker.logParams({ 'train.epochs': config.train.epochs, 'data.trainingSamples': 640 });
      assert.equal(paramBatches().length, afterStart + 1);
      await tracker.endRun('FINISHED');

      const stored = await readerClient(server.uri).getRun(tracker.runId as string);
      const params = toRecord(stored.data.params);
      assert.equal(params['train.epochs'], String(config.train.epochs));
      assert.equal(params['data.trainingSamples'], '640');
    } finally {
      await proxy.close();
    }
  });

  it('flush timer sends metrics mid-run', async () => {
    const { logger } = recordingLogger();
    const tracker = await createTracker(
      sampleConfig('net12-timer'),
      { trackingUri: server.uri, logConfig: false, flushIntervalMs: 200 },
      logger,
    );
    await tracker.startRun({ experiment: 'net12-timer', runName: 'timer', runDir: path.join(tmp, 'timer') });
    const manyParams = Object.fromEntries(Array.from({ length: 250 }, (_, index) => [`sweep.p${index}`, index]));
    await tracker.logParams(manyParams);
    for (let step = 0; step < 10; step += 1) {
      tracker.logMetrics({ loss: 1 / (step + 1) }, step);
    }

    const reader = readerClient(server.uri);
    let stored = 0;
    const deadline = Date.now() + 10_000;
    while (stored < 10 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      stored = (await reader.getMetricHistory(tracker.runId!, 'loss')).length;
    }
    assert.equal(stored, 10, 'the timer sent every metric before the run ended');
    const run = await reader.getRun(tracker.runId!);
    assert.equal(run.info.status, 'RUNNING');
    assert.equal(run.data.params?.length, 250);
    await tracker.endRun('FINISHED');
    await reader.close();
  });

  it('ends a run as FAILED', async () => {
    const { logger, lines } = recordingLogger();
    const tracker = await createTracker(sampleConfig('net12-failed'), { trackingUri: server.uri }, logger);
    await tracker.startRun({ experiment: 'net12-failed', runName: 'broken', runDir: path.join(tmp, 'failed') });
    // MLflow would reject the whole batch over the "@"; the tracker leaves that key out instead.
    tracker.logMetrics({ loss: 2.5, 'recall@100fp': 0.8 }, 0);
    tracker.logMetrics({ loss: 2.4, 'recall@100fp': 0.81 }, 1);
    await tracker.endRun('FAILED');

    const reader = readerClient(server.uri);
    const run = await reader.getRun(tracker.runId!);
    assert.equal(run.info.status, 'FAILED');
    assert.equal((await reader.getMetricHistory(tracker.runId!, 'loss')).length, 2);
    assert.equal(lines.filter((line) => line.includes('metric "recall@100fp" is not sent')).length, 1);
    await reader.close();
  });

  it('SIGTERM ends runs as KILLED', async () => {
    const { logger, lines } = recordingLogger();
    const tracker = await createTracker(
      sampleConfig('net12-killed'),
      { trackingUri: server.uri, logConfig: false },
      logger,
    );
    await tracker.startRun({ experiment: 'net12-killed', runName: 'interrupted', runDir: path.join(tmp, 'killed') });
    for (let step = 0; step < 20; step += 1) {
      tracker.logMetrics({ loss: 1 - step / 20 }, step);
    }

    let stopRequested = false;
    let endedBy: string | undefined;
    const stopWatching = endRunsOnSignal([tracker], {
      logger,
      onSignal: () => {
        stopRequested = true;
      },
      onEnded: (signal) => {
        endedBy = signal;
      },
    });
    process.kill(process.pid, 'SIGTERM');
    await waitFor(() => endedBy !== undefined, 30_000, 'the SIGTERM handler to end the run');
    stopWatching();
    await tracker.endRun('FINISHED');

    assert.equal(stopRequested, true);
    assert.equal(endedBy, 'SIGTERM');
    assert.ok(lines.some((line) => line.includes('received SIGTERM')));
    const reader = readerClient(server.uri);
    const run = await reader.getRun(tracker.runId!);
    assert.equal(run.info.status, 'KILLED');
    assert.equal((await reader.getMetricHistory(tracker.runId!, 'loss')).length, 20);
    await reader.close();
  });

  it('deleted experiment restored or rejected', async () => {
    const reader = readerClient(server.uri);
    const experimentId = await reader.createExperiment('net24-deleted');
    const deleted = await fetch(`${server.uri}/api/2.0/mlflow/experiments/delete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ experiment_id: experimentId }),
    });
    assert.equal(deleted.status, 200);

    const { logger } = recordingLogger();
    const strict = await createTracker(
      sampleConfig('net24-deleted'),
      { trackingUri: server.uri, deletedExperiment: 'fail' },
      logger,
    );
    await assert.rejects(
      strict.startRun({ experiment: 'net24-deleted', runName: 'a', runDir: path.join(tmp, 'deleted-a') }),
      /MLflow experiment "net24-deleted" \(id \d+\) at http:\/\/127\.0\.0\.1:\d+ is deleted\. Restore it in the MLflow UI/,
    );

    const { logger: restoreLogger, lines } = recordingLogger();
    const tracker = await createTracker(sampleConfig('net24-deleted'), { trackingUri: server.uri }, restoreLogger);
    await tracker.startRun({ experiment: 'net24-deleted', runName: 'b', runDir: path.join(tmp, 'deleted-b') });
    await tracker.endRun('FINISHED');

    assert.equal(tracker.experimentId, experimentId);
    assert.equal((await reader.getExperimentByName('net24-deleted'))?.lifecycle_stage, 'active');
    assert.ok(lines.some((line) => line.includes('was deleted; restored it')));
    await reader.close();
  });

  it('concurrent runs share one experiment', async () => {
    const recorders = Array.from({ length: 4 }, () => recordingLogger());
    const trackers = await Promise.all(
      recorders.map(({ logger }) =>
        createTracker(sampleConfig('net48-concurrent'), { trackingUri: server.uri }, logger),
      ),
    );
    await Promise.all(
      trackers.map((tracker, index) =>
        tracker.startRun({ experiment: 'net48-concurrent', runName: `r${index}`, runDir: path.join(tmp, `c${index}`) }),
      ),
    );
    await Promise.all(trackers.map((tracker) => tracker.endRun('FINISHED')));

    const ids = new Set(trackers.map((tracker) => tracker.experimentId));
    assert.equal(ids.size, 1);
    const creators = recorders.filter(({ lines }) => lines.some((line) => line.includes('created experiment')));
    assert.equal(creators.length, 1);
    const reader = readerClient(server.uri);
    const search = await reader.searchRuns({ experiment_ids: [...ids] as string[] });
    assert.equal(search.runs?.length, 4);
    await reader.close();
  });

  for (const variant of ['token', 'password'] as const) {
    it(`keeps the ${variant} secret`, async () => {
      const secret = variant === 'token' ? 'tok-cascade-5e1f0a' : 'pw-cascade-9c41';
      const env =
        variant === 'token'
          ? { MLFLOW_TRACKING_TOKEN: secret }
          : { MLFLOW_TRACKING_USERNAME: 'ann', MLFLOW_TRACKING_PASSWORD: secret };
      const encoded = Buffer.from(`ann:${secret}`).toString('base64');
      const saved = { ...process.env };
      Object.assign(process.env, env);
      const { logger, lines } = recordingLogger();
      // The URI also carries a password, which must be stripped from the logged config and messages.
      const proxy = await startProxy(server.uri);
      const uri = proxy.uri.replace('http://', `http://ann:${secret}@`);
      let tracker: Awaited<ReturnType<typeof createTracker>>;
      try {
        tracker = await createTracker(
          sampleConfig(`net12-${variant}`, { trackingUri: uri }),
          { trackingUri: uri },
          logger,
        );
      } finally {
        process.env = saved;
      }
      await tracker.startRun({
        experiment: `net12-${variant}`,
        runName: `secret-${variant}`,
        runDir: path.join(tmp, `secret-${variant}`),
        tags: { command: `cascade exp --token ${secret}` },
      });
      await tracker.logParams({ 'env.copy': `MLFLOW_TRACKING_TOKEN=${secret}` });
      // The config logged seed 7; MLflow rejects a change and its error message quotes both values.
      await tracker.logParams({ seed: `2 ${secret}` });
      tracker.logMetrics({ loss: 0.5 }, 0);
      await tracker.endRun('FINISHED');
      await proxy.close();

      // Every request carried the credentials from the environment, which win over the URI's.
      const expectedAuthorization = variant === 'token' ? `Bearer ${secret}` : `Basic ${encoded}`;
      assert.ok(proxy.requests.length > 3);
      for (const request of proxy.requests) {
        assert.equal(request.authorization, expectedAuthorization, `${request.method} ${request.url}`);
      }

      const reader = readerClient(server.uri);
      const run = await reader.getRun(tracker.runId!);
      const root = `${run.info.experiment_id}/${run.info.run_id}/artifacts`;
      const config = (await reader.downloadArtifact(`${root}/config/resolved-config.json`)).toString();
      await reader.close();

      const stored = [...(run.data.params ?? []), ...(run.data.tags ?? [])].map(({ key, value }) => `${key}=${value}`);
      assert.ok(
        lines.some((line) => line.includes('was rejected and dropped')),
        'the rejected param is logged',
      );
      assert.equal(toRecord(run.data.params)['env.copy'], 'MLFLOW_TRACKING_TOKEN=***');
      assert.equal(toRecord(run.data.tags).command, 'cascade exp --token ***');
      for (const text of [...lines, ...stored, config]) {
        assert.ok(!text.includes(secret), `secret in: ${text.slice(0, 200)}`);
        assert.ok(!text.includes(encoded), `encoded credentials in: ${text.slice(0, 200)}`);
      }
    });
  }

  it('runs compare prints differing params', async () => {
    const experiment = 'net24-compare';
    for (const [index, learningRate] of [0.1, 0.01, 0.001].entries()) {
      const tracker = await createTracker(
        sampleConfig(experiment),
        { trackingUri: server.uri, logConfig: false },
        recordingLogger().logger,
      );
      await tracker.startRun({ experiment, runName: `lr-${learningRate}`, runDir: path.join(tmp, `compare-${index}`) });
      await tracker.logParams({ 'optimizer.learningRate': learningRate, 'train.batchSize': 64 });
      tracker.logMetrics({ val_recall: 0.8 + index * 0.06, val_loss: 0.5 - index * 0.1 }, 0);
      await tracker.endRun('FINISHED');
    }

    const table = cascade('runs', 'compare', '--experiment', experiment, '--tracking-uri', server.uri);
    assert.equal(table.status, 0, table.stderr);
    const lines = table.stdout.trimEnd().split('\n');
    assert.deepEqual(lines[0]?.split(/\s+/), [
      'run',
      'id',
      'status',
      'optimizer.learningRate',
      'val_loss',
      'val_recall',
    ]);
    assert.equal(lines.length, 5);
    assert.deepEqual(
      lines[2]?.split(/\s+/).filter((_, column) => column !== 1),
      ['lr-0.001', 'FINISHED', '0.001', '0.3', '0.92'],
    );
    assert.ok(!table.stdout.includes('train.batchSize'), 'a param equal in every run is left out');

    const filtered = cascade(
      'runs',
      'compare',
      '--experiment',
      experiment,
      '--filter',
      'metrics.val_recall > 0.85',
      '--json',
      {
        MLFLOW_TRACKING_URI: server.uri,
      },
    );
    assert.equal(filtered.status, 0, filtered.stderr);
    const runs = JSON.parse(filtered.stdout) as Array<{ runName: string; params: Record<string, string> }>;
    assert.deepEqual(
      runs.map((run) => run.runName),
      ['lr-0.001', 'lr-0.01'],
    );
    assert.deepEqual(runs[1]?.params, { 'optimizer.learningRate': '0.01' });

    const invalid = cascade(
      'runs',
      'compare',
      '--experiment',
      experiment,
      '--filter',
      'metrics.val_recall >> 2',
      '--tracking-uri',
      server.uri,
    );
    assert.equal(invalid.status, 1);
    assert.match(
      invalid.stderr,
      /MLflow rejected the search of experiment "net24-compare" with filter "metrics.val_recall >> 2"/,
    );
    assert.match(invalid.stderr, /caused by: .*HTTP 400 INVALID_PARAMETER_VALUE/);

    const missing = cascade('runs', 'compare', '--experiment', 'no-such-experiment', '--tracking-uri', server.uri);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /MLflow experiment "no-such-experiment" not found at http:\/\/127\.0\.0\.1:\d+/);
  });

  it('retries 429 and 503 with Retry-After', async () => {
    // A proxy on 127.0.0.1 in front of the real server rejects the first two metric batches with
    // 429 (Retry-After: 1) and 503, and forwards everything else.
    const rejections: Array<{ status: number; at: number }> = [];
    let forwardedBatches = 0;
    const proxy = await startProxy(server.uri, (request) => {
      const isMetricBatch = request.url === '/api/2.0/mlflow/runs/log-batch' && request.body.includes('"metrics"');
      if (!isMetricBatch) {
        return undefined;
      }
      if (rejections.length === 0) {
        rejections.push({ status: 429, at: Date.now() });
        return { status: 429, headers: { 'retry-after': '1' }, body: '{"error_code": "REQUEST_LIMIT_EXCEEDED"}' };
      }
      if (rejections.length === 1) {
        rejections.push({ status: 503, at: Date.now() });
        return { status: 503, body: 'Service Unavailable' };
      }
      forwardedBatches += 1;
      return undefined;
    });
    const proxyUri = proxy.uri;

    try {
      const { logger, lines } = recordingLogger();
      const tracker = await createTracker(
        sampleConfig('net12-retry'),
        { trackingUri: proxyUri, logConfig: false, flushIntervalMs: 60_000 },
        logger,
      );
      await tracker.startRun({ experiment: 'net12-retry', runName: 'retry', runDir: path.join(tmp, 'retry') });
      for (let step = 0; step < 50; step += 1) {
        tracker.logMetrics({ loss: 1 / (step + 1) }, step);
      }
      const flushStarted = Date.now();
      await tracker.flush();
      const firstSuccess = Date.now();
      await tracker.endRun('FINISHED');

      assert.deepEqual(
        rejections.map((rejection) => rejection.status),
        [429, 503],
      );
      assert.ok(rejections[1]!.at - rejections[0]!.at >= 1_000, 'the retry after 429 waits the Retry-After second');
      assert.ok(firstSuccess - flushStarted >= 1_000);
      assert.equal(forwardedBatches, 1);
      assert.equal(tracker.pendingMetrics, 0);
      assert.ok(
        lines.some((line) => line.includes('retrying POST runs/log-batch in 1000 ms') && line.includes('HTTP 429')),
      );
      assert.ok(lines.some((line) => line.includes('retrying POST runs/log-batch') && line.includes('HTTP 503')));

      const reader = readerClient(server.uri);
      const run = await reader.getRun(tracker.runId!);
      assert.equal(run.info.status, 'FINISHED');
      assert.equal((await reader.getMetricHistory(tracker.runId!, 'loss')).length, 50);
      await reader.close();
    } finally {
      await proxy.close();
    }
  });

  it('trusts a server through caFile', async () => {
    // A self-signed certificate for 127.0.0.1 that is its own CA, made with the openssl CLI.
    const certDir = path.join(tmp, 'tls');
    fs.mkdirSync(certDir);
    const keyFile = path.join(certDir, 'server.key');
    const certFile = path.join(certDir, 'server.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        keyFile,
        '-out',
        certFile,
      ],
      { stdio: 'ignore' },
    );
    const proxy = await startProxy(server.uri, undefined, {
      key: fs.readFileSync(keyFile),
      cert: fs.readFileSync(certFile),
    });

    try {
      const { logger } = recordingLogger();
      const trusted = await createTracker(
        sampleConfig('net12-tls'),
        { trackingUri: proxy.uri, caFile: certFile, logConfig: false },
        logger,
      );
      await trusted.startRun({ experiment: 'net12-tls', runName: 'tls', runDir: path.join(tmp, 'tls-run') });
      trusted.logMetrics({ loss: 0.3 }, 0);
      await trusted.endRun('FINISHED');
      const reader = readerClient(server.uri);
      assert.equal((await reader.getRun(trusted.runId!)).info.status, 'FINISHED');
      assert.equal((await reader.getMetricHistory(trusted.runId!, 'loss')).length, 1);
      await reader.close();

      const untrusted = await createTracker(sampleConfig('net12-tls'), { trackingUri: proxy.uri }, logger);
      const started = Date.now();
      await assert.rejects(
        untrusted.startRun({ experiment: 'net12-tls', runName: 'no-ca', runDir: path.join(tmp, 'tls-none') }),
        /TLS connection to the MLflow server at https:\/\/127\.0\.0\.1:\d+ failed .*Set caFile on the mlflow tracker/,
      );
      assert.ok(Date.now() - started < 2_000, 'a certificate error is not retried');
      await untrusted.endRun('FAILED');
    } finally {
      await proxy.close();
    }
  });
});
