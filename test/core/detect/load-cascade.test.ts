import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { selectBackend } from '../../../src/core/backend.js';
import { CASCADE_MANIFEST, loadCascade } from '../../../src/core/detect/load-cascade.js';
import { Logger } from '../../../src/core/logger.js';
import { loadTrainedNet } from '../../../src/core/train/artifacts.js';
import { writeModel } from '../../../src/core/train/model-files.js';
import { CALIB12, NET12 } from '../../../src/plugins/models/architectures.js';
import { SingleNet } from '../../../src/plugins/models/single-net.js';
import { artifactRootOf } from '../../../src/plugins/trackers/mlflow/artifact-paths.js';
import { MlflowClient } from '../../../src/plugins/trackers/mlflow/client.js';
import { mlflowSkipReason, type TrackingServer, useTrackingServer } from '../../helpers/mlflow-server.js';

let directory: string;

/** Writes a finished run of a freshly built net: `model/` and a `config.json` naming its type. */
async function writeRun(target: string, type: 'net12' | 'calib12'): Promise<void> {
  const model = await new SingleNet({
    name: type,
    task: type === 'net12' ? 'detection' : 'calibration',
    architecture: type === 'net12' ? NET12 : CALIB12,
    numClasses: type === 'net12' ? 2 : 45,
    initializer: 'glorotUniform',
    seed: 3,
  }).build();
  await fs.mkdir(path.join(target, 'model'), { recursive: true });
  await writeModel(model, path.join(target, 'model'));
  await fs.writeFile(path.join(target, 'config.json'), JSON.stringify({ model: { type } }));
  model.dispose();
}

before(async () => {
  await selectBackend('tensorflow', new Logger({ level: 'silent' }));
  directory = await fs.mkdtemp(path.join(os.tmpdir(), 'cascade-load-'));
  await writeRun(path.join(directory, 'runs', 'net12'), 'net12');
  await writeRun(path.join(directory, 'runs', 'calib12'), 'calib12');
});

after(async () => {
  await fs.rm(directory, { recursive: true, force: true });
});

describe('load cascade', () => {
  test('single runs are placed by type', async () => {
    const cascade = await loadCascade([path.join(directory, 'runs', 'calib12'), path.join(directory, 'runs', 'net12')]);
    assert.equal(cascade.nets.net12.outputs[0]?.shape[1], 2);
    assert.equal(cascade.nets.calib12?.outputs[0]?.shape[1], 45);
    assert.equal(cascade.nets.net24, undefined);
    cascade.dispose();
  });

  test('manifest names nets and options', async () => {
    const cascadeDir = path.join(directory, 'cascade-run');
    await fs.mkdir(cascadeDir, { recursive: true });
    await fs.writeFile(
      path.join(cascadeDir, CASCADE_MANIFEST),
      JSON.stringify({
        nets: { net12: '../runs/net12', calib12: '../runs/calib12' },
        detector: { thresholds: { net12: 0.2 } },
      }),
    );
    const cascade = await loadCascade([cascadeDir]);
    assert.equal(cascade.detector.thresholds?.net12, 0.2);
    assert.ok(cascade.nets.calib12);
    assert.equal(cascade.runDirs.net12, path.join(directory, 'runs', 'net12'));
    cascade.dispose();
  });

  test('runs without a 12-net are rejected', async () => {
    await assert.rejects(loadCascade([path.join(directory, 'runs', 'calib12')]), /No 12-net among the runs/);
  });
});

describe('load cascade from MLflow', { skip: mlflowSkipReason() }, () => {
  let server: TrackingServer;
  before(async () => {
    server = await useTrackingServer();
  });
  after(async () => {
    await server.dispose();
    delete process.env.MLFLOW_TRACKING_URI;
  });

  test('mlflow run id loads its model', async () => {
    const client = new MlflowClient({
      trackingUri: server.uri,
      credentials: { secrets: [] },
      logger: new Logger({ level: 'silent' }),
    });
    const experimentId = await client.createExperiment('load-cascade');
    const info = await client.createRun({
      experimentId,
      runName: 'net12',
      userId: 'test',
      startTime: Date.now(),
      tags: [{ key: 'model', value: 'net12' }],
    });
    const root = artifactRootOf(info.artifact_uri);
    assert.ok(root, `artifact URI ${info.artifact_uri}`);
    for (const file of ['model.json', 'weights.bin']) {
      await client.uploadArtifact(path.join(directory, 'runs', 'net12', 'model', file), `${root}/model/model/${file}`);
    }
    await client.close();

    process.env.MLFLOW_TRACKING_URI = server.uri;
    const cascade = await loadCascade([`mlflow:${info.run_id}`], { cacheDir: path.join(directory, 'cache') });
    assert.equal(cascade.nets.net12.inputs[0]?.shape[1], 12);
    assert.equal(cascade.runDirs.net12, path.join(directory, 'cache', 'mlflow', info.run_id));
    cascade.dispose();

    // The frozen branches of the 24- and 48-nets load their runs through loadTrainedNet too.
    const trained = await loadTrainedNet(`mlflow:${info.run_id}`, { cacheDir: path.join(directory, 'cache-net') });
    assert.equal(trained.inputSize, 12);
    assert.equal(trained.task, 'detection');
    assert.equal(trained.runDir, path.join(directory, 'cache-net', 'mlflow', info.run_id));
    trained.model.dispose();
  });

  test('missing model artifact is reported', async () => {
    const client = new MlflowClient({
      trackingUri: server.uri,
      credentials: { secrets: [] },
      logger: new Logger({ level: 'silent' }),
    });
    const experimentId = await client.createExperiment('load-cascade-empty');
    const info = await client.createRun({
      experimentId,
      runName: 'empty',
      userId: 'test',
      startTime: Date.now(),
      tags: [],
    });
    await client.close();
    process.env.MLFLOW_TRACKING_URI = server.uri;
    await assert.rejects(
      loadCascade([`mlflow:${info.run_id}`], { cacheDir: path.join(directory, 'cache') }),
      /has no artifact "model\/model\/model.json"/,
    );
  });
});
