// Starts a real `mlflow server` for integration tests: 127.0.0.1, a free port, a SQLite backend
// store and proxied artifacts in a temp dir. Start one per test file and stop it in `after`.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

// The first start creates the SQLite schema, which took about 25 s on a 2-core machine.
const STARTUP_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 15_000;
const POLL_INTERVAL_MS = 250;
// Venvs checked when neither CASCADE_MLFLOW_BIN nor PATH has MLflow: the one docs/mlflow.md
// creates in the repository, and the one .ci/run creates.
const VENV_BINARIES = [
  path.resolve(import.meta.dirname, '..', '..', '.cascade', 'mlflow-venv', 'bin', 'mlflow'),
  path.join(
    process.env.CASCADE_CACHE_HOME ?? path.join(os.homedir(), '.cache', 'cascade'),
    'mlflow-venv',
    'bin',
    'mlflow',
  ),
];

/** Where the `mlflow` executable was found, or why there is none. */
export type MlflowBinary = { path: string; skipReason?: undefined } | { path?: undefined; skipReason: string };

/**
 * Finds the `mlflow` executable: `CASCADE_MLFLOW_BIN` (set by CI), then `mlflow` on PATH, then
 * `.cascade/mlflow-venv` in the repository, then `~/.cache/cascade/mlflow-venv`. Without one, `skipReason` gives the reason, for `describe(..., { skip })`.
 */
export function findMlflowBinary(): MlflowBinary {
  const fromEnv = process.env.CASCADE_MLFLOW_BIN;
  if (fromEnv) {
    if (isExecutable(fromEnv)) {
      return { path: fromEnv };
    }
    return { skipReason: `CASCADE_MLFLOW_BIN is set to ${fromEnv}, which is not an executable file` };
  }
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'mlflow');
    if (dir !== '' && isExecutable(candidate)) {
      return { path: candidate };
    }
  }
  const venvBinary = VENV_BINARIES.find(isExecutable);
  if (venvBinary) {
    return { path: venvBinary };
  }
  return {
    skipReason:
      'no mlflow executable: set CASCADE_MLFLOW_BIN, put mlflow on PATH, or install it in .cascade/mlflow-venv ' +
      '(see docs/mlflow.md)',
  };
}

/**
 * Returns the `skip` option for tests that need a server, printing the reason once when there
 * is no MLflow, so that a skipped run prints the reason.
 */
export function mlflowSkipReason(): string | undefined {
  if (process.env.CASCADE_TEST_MLFLOW_URI) {
    return undefined;
  }
  const binary = findMlflowBinary();
  if (binary.skipReason) {
    process.stderr.write(`skipping MLflow integration tests: ${binary.skipReason}\n`);
  }
  return binary.skipReason;
}

/** A tracking server that tests write to and read back from. */
export interface TrackingServer {
  readonly uri: string;
  /** Stops the server if the test file started it; a server started by CI is left running. */
  dispose(): Promise<void>;
}

/**
 * Returns the server that `.ci/run` started (`CASCADE_TEST_MLFLOW_URI`), or starts one for this
 * test file. Tests that stop and restart the server use `MlflowServer.start()` instead.
 */
export async function useTrackingServer(): Promise<TrackingServer> {
  const external = process.env.CASCADE_TEST_MLFLOW_URI;
  if (!external) {
    return MlflowServer.start();
  }
  const uri = external.replace(/\/+$/, '');
  const response = await fetch(`${uri}/health`, { signal: AbortSignal.timeout(10_000) }).catch((error: unknown) => {
    throw new Error(`CASCADE_TEST_MLFLOW_URI is ${uri}, but its /health request failed`, { cause: error });
  });
  if (!response.ok) {
    throw new Error(`CASCADE_TEST_MLFLOW_URI is ${uri}, but /health returned HTTP ${response.status}`);
  }
  return { uri, dispose: async () => {} };
}

/** A running `mlflow server` owned by one test file. */
export class MlflowServer {
  readonly binary: string;
  readonly port: number;
  /** Temp dir with the SQLite file, the artifacts and the server log. */
  readonly dir: string;
  #process?: ChildProcess;
  #exited?: Promise<void>;

  private constructor(binary: string, port: number, dir: string) {
    this.binary = binary;
    this.port = port;
    this.dir = dir;
  }

  /** Starts a server on a free port of 127.0.0.1 with a fresh backend store. */
  static async start(): Promise<MlflowServer> {
    const binary = findMlflowBinary();
    if (!binary.path) {
      throw new Error(`Cannot start MLflow: ${binary.skipReason}`);
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cascade-mlflow-'));
    const server = new MlflowServer(binary.path, await freePort(), dir);
    await server.resume();
    return server;
  }

  get uri(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get logFile(): string {
    return path.join(this.dir, 'server.log');
  }

  /** Starts the server again on the same port with the same backend store and artifacts. */
  async resume(): Promise<void> {
    if (this.#process) {
      throw new Error(`MLflow server on port ${this.port} is already running`);
    }
    const log = fs.openSync(this.logFile, 'a');
    const child = spawn(
      this.binary,
      [
        'server',
        '--backend-store-uri',
        `sqlite:///${path.join(this.dir, 'mlflow.db')}`,
        '--serve-artifacts',
        '--artifacts-destination',
        path.join(this.dir, 'artifacts'),
        '--host',
        '127.0.0.1',
        '--port',
        String(this.port),
        '--workers',
        '1',
      ],
      {
        // Its own process group, so that stop() also ends the uvicorn and job-runner children.
        detached: true,
        stdio: ['ignore', log, log],
        // No telemetry, and no background job runner, which tracking does not use.
        env: {
          ...process.env,
          MLFLOW_DISABLE_TELEMETRY: 'true',
          DO_NOT_TRACK: 'true',
          MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false',
        },
      },
    );
    fs.closeSync(log);
    this.#process = child;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    process.once('exit', this.#killOnExit);

    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    while (!(await this.#healthy())) {
      if (child.exitCode !== null || child.signalCode !== null) {
        this.#process = undefined;
        throw new Error(
          `mlflow server exited with ${child.exitCode ?? child.signalCode} before responding to /health:\n${this.#logTail()}`,
        );
      }
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error(
          `mlflow server on port ${this.port} did not respond to /health within ${STARTUP_TIMEOUT_MS} ms:\n${this.#logTail()}`,
        );
      }
      await sleep(POLL_INTERVAL_MS);
    }
  }

  /** Stops the server and its children and waits until the port is free. */
  async stop(): Promise<void> {
    const child = this.#process;
    if (!child?.pid) {
      return;
    }
    process.off('exit', this.#killOnExit);
    signalGroup(child.pid, 'SIGTERM');
    const stopped = await Promise.race([this.#exited!.then(() => true), sleep(STOP_TIMEOUT_MS).then(() => false)]);
    if (!stopped) {
      signalGroup(child.pid, 'SIGKILL');
      await this.#exited;
    }
    // The uvicorn worker may outlive the CLI process for a moment; wait for the group to be gone.
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (groupAlive(child.pid) && Date.now() < deadline) {
      await sleep(POLL_INTERVAL_MS);
    }
    if (groupAlive(child.pid)) {
      signalGroup(child.pid, 'SIGKILL');
    }
    this.#process = undefined;
    while (!(await portFree(this.port)) && Date.now() < deadline) {
      await sleep(POLL_INTERVAL_MS);
    }
  }

  /** Stops the server and deletes its temp dir. */
  async dispose(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  readonly #killOnExit = (): void => {
    if (this.#process?.pid) {
      signalGroup(this.#process.pid, 'SIGKILL');
    }
  };

  async #healthy(): Promise<boolean> {
    try {
      const response = await fetch(`${this.uri}/health`, { signal: AbortSignal.timeout(2_000) });
      return response.ok;
    } catch {
      return false;
    }
  }

  #logTail(): string {
    try {
      return fs.readFileSync(this.logFile, 'utf8').split('\n').slice(-30).join('\n');
    } catch {
      return '(no server log)';
    }
  }
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
