// Shared pieces of the MLflow tracker tests: a logger that keeps its lines, a resolved config and
// a plugin context, so that tests create the tracker the way a run does.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { container } from 'tsyringe';
import type { ResolvedConfig } from '../../../../src/core/config/schema.js';
import { Logger } from '../../../../src/core/logger.js';
import type { PluginContext } from '../../../../src/core/registry.js';
import type { Tracker } from '../../../../src/core/tracker.js';
import { MlflowClient } from '../../../../src/plugins/trackers/mlflow/client.js';
import { readCredentials } from '../../../../src/plugins/trackers/mlflow/credentials.js';
import { mlflowOptions, mlflowTrackerPlugin } from '../../../../src/plugins/trackers/mlflow/index.js';
import type { MlflowTracker } from '../../../../src/plugins/trackers/mlflow/mlflow-tracker.js';
import type { KeyValue } from '../../../../src/plugins/trackers/mlflow/rest-types.js';
import { REPO_ROOT } from '../../../helpers/temp-dir.js';

/** Creates a debug-level logger that keeps its output in `lines`. */
export function recordingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      callback();
    },
  });
  return { logger: new Logger({ level: 'debug', stream }), lines };
}

/** A resolved config of a small 12-net experiment, as `resolveConfig` returns it. */
export function sampleConfig(name: string, trackerOptions: Record<string, unknown> = {}): ResolvedConfig {
  return {
    name,
    description: 'tracker test',
    backend: 'tensorflow',
    seed: 7,
    logLevel: 'info',
    dataRoot: '/data',
    cacheDir: '/cache',
    runsDir: '/runs',
    plugins: [],
    trackers: [{ type: 'mlflow', ...trackerOptions }],
    data: {
      sources: [{ type: 'fddb', folds: [1, 2] }],
      augmenters: [{ type: 'calibration-shifter' }],
    },
    model: { type: 'net12' },
    optimizer: { type: 'adadelta' },
    train: { epochs: 2, batchSize: 64 },
  } as unknown as ResolvedConfig;
}

/** Creates the tracker through its plugin definition, with options validated by its schema. */
export async function createTracker(
  config: ResolvedConfig,
  options: Record<string, unknown>,
  logger: Logger,
): Promise<MlflowTracker> {
  const context: PluginContext = {
    container,
    logger,
    config,
    runtime: {
      backend: 'tensorflow',
      seed: 7,
      projectDir: REPO_ROOT,
      dataRoot: '/data',
      cacheDir: '/cache',
      runsDir: '/runs',
    },
  };
  const tracker: Tracker = await mlflowTrackerPlugin.create(mlflowOptions.parse(options), context);
  return tracker as MlflowTracker;
}

/** Creates a client without credentials for reading back what the server stored. */
export function readerClient(uri: string): MlflowClient {
  return new MlflowClient({
    trackingUri: uri,
    credentials: readCredentials({}),
    logger: new Logger({ level: 'silent' }),
  });
}

/** Turns MLflow's key-value list into an object. */
export function toRecord(pairs: KeyValue[] | undefined): Record<string, string> {
  return Object.fromEntries((pairs ?? []).map(({ key, value }) => [key, value]));
}

/** Resolves when `condition` is true, polling every 20 ms, or rejects after `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A request seen by the proxy. */
export interface ProxiedRequest {
  method: string;
  url: string;
  authorization?: string;
  body: Buffer;
}

/** A reply that the proxy sends instead of forwarding the request. */
export interface ProxyReply {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

/**
 * Starts an HTTP proxy (HTTPS with `tls`) on 127.0.0.1 in front of a real MLflow server. It records every request,
 * and `intercept` may reply to a request itself, to inject errors such as 429 and 503.
 */
export async function startProxy(
  targetUri: string,
  intercept?: (request: ProxiedRequest) => ProxyReply | undefined,
  tls?: { key: Buffer; cert: Buffer },
): Promise<{ uri: string; requests: ProxiedRequest[]; close(): Promise<void> }> {
  const requests: ProxiedRequest[] = [];
  const handler: http.RequestListener = async (incoming, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) {
      chunks.push(chunk as Buffer);
    }
    const request: ProxiedRequest = {
      method: incoming.method ?? 'GET',
      url: incoming.url ?? '/',
      authorization: incoming.headers.authorization,
      body: Buffer.concat(chunks),
    };
    requests.push(request);

    const reply = intercept?.(request);
    if (reply) {
      response.writeHead(reply.status, reply.headers ?? {});
      response.end(reply.body);
      return;
    }
    const upstream = await fetch(`${targetUri}${request.url}`, {
      method: request.method,
      headers: { 'content-type': incoming.headers['content-type'] ?? 'application/json' },
      body: request.method === 'GET' ? undefined : request.body,
    });
    response.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'text/plain' });
    response.end(Buffer.from(await upstream.arrayBuffer()));
  };
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    uri: `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
