import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { Agent, type Dispatcher, request } from 'undici';
import { CascadeError } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import { redactSecrets } from './credentials.js';
import type { ErrorBody } from './rest-types.js';
import { backoffDelayMs, isRetryableStatus, parseRetryAfterMs, type RetryPolicy, sleep } from './retry.js';

// Time allowed for the response headers and between body chunks; a hung server counts as unreachable.
const HEADERS_TIMEOUT_MS = 30_000;
const BODY_TIMEOUT_MS = 120_000;
// A server's `Retry-After` is honoured up to this wait; a longer one is treated as this long.
const MAX_RETRY_AFTER_MS = 120_000;

/** A failed MLflow request: a network failure (no `status`) or an error response. */
export class MlflowRequestError extends CascadeError {
  override name = 'MlflowRequestError';
  /** HTTP status of the error response; undefined when the server could not be reached. */
  readonly status?: number;
  /** MLflow's `error_code`, such as `RESOURCE_ALREADY_EXISTS`. */
  readonly errorCode?: string;

  /** True for failures that may pass on a later attempt: network errors other than TLS, 429 and 5xx. */
  readonly transient: boolean;

  constructor(message: string, options: { status?: number; errorCode?: string; transient?: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.status = options.status;
    this.errorCode = options.errorCode;
    this.transient = options.transient ?? (options.status === undefined || isRetryableStatus(options.status));
  }
}

export interface HttpTransportOptions {
  /** Tracking URI without credentials, for messages. */
  trackingUri: string;
  /** Value of the `Authorization` header sent with every request. */
  authorization?: string;
  /** Strings removed from every error message. */
  secrets: readonly string[];
  /** PEM file with the CA certificates that sign the server's TLS certificate. */
  caFile?: string;
  logger: Logger;
  retry: RetryPolicy;
}

export interface SendOptions {
  /** Method and endpoint for messages, such as `POST runs/log-batch`. */
  label: string;
  headers?: Record<string, string>;
  /** Creates the body; called once per attempt, so that a stream starts again from its first byte. */
  body?: () => string | Buffer | Readable;
  retry?: RetryPolicy;
}

/** Sends HTTP requests to one tracking server with authentication, timeouts and retries. */
export class HttpTransport {
  readonly #trackingUri: string;
  readonly #authorization?: string;
  readonly #secrets: readonly string[];
  readonly #logger: Logger;
  readonly #retry: RetryPolicy;
  readonly #dispatcher: Agent;

  constructor(options: HttpTransportOptions) {
    this.#trackingUri = options.trackingUri;
    this.#authorization = options.authorization;
    this.#secrets = options.secrets;
    this.#logger = options.logger;
    this.#retry = options.retry;
    this.#dispatcher = new Agent({
      headersTimeout: HEADERS_TIMEOUT_MS,
      bodyTimeout: BODY_TIMEOUT_MS,
      connect: options.caFile ? { ca: readCaFile(options.caFile) } : undefined,
    });
  }

  /**
   * Sends a request and returns the response body. Network errors, 429 and 5xx are retried with
   * backoff and jitter, or after the server's `Retry-After`. Other errors are raised at once.
   */
  async send(method: Dispatcher.HttpMethod, url: string, options: SendOptions): Promise<Buffer> {
    const policy = options.retry ?? this.#retry;
    const headers = { ...options.headers };
    if (this.#authorization) {
      headers.authorization = this.#authorization;
    }

    for (let attempt = 0; ; attempt += 1) {
      const last = attempt + 1 >= policy.maxAttempts;
      let failure: MlflowRequestError;
      let retryAfterMs: number | undefined;
      try {
        const response = await request(url, {
          method,
          headers,
          body: options.body?.(),
          dispatcher: this.#dispatcher,
        });
        const data = Buffer.from(await response.body.arrayBuffer());
        if (response.statusCode >= 200 && response.statusCode < 300) {
          return data;
        }
        failure = this.#responseError(options.label, response.statusCode, data);
        const retryAfter = response.headers['retry-after'];
        retryAfterMs = parseRetryAfterMs(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
      } catch (error) {
        failure = this.#networkError(options.label, error);
      }

      if (!failure.transient || last) {
        throw failure;
      }
      const delay =
        retryAfterMs === undefined ? backoffDelayMs(attempt, policy) : Math.min(retryAfterMs, MAX_RETRY_AFTER_MS);
      this.#logger.debug(
        `mlflow: retrying ${options.label} in ${delay} ms (attempt ${attempt + 2}/${policy.maxAttempts}) after: ${failure.message}`,
      );
      await sleep(delay);
    }
  }

  /** Closes the connection pool; no request can be sent after this. */
  async close(): Promise<void> {
    await this.#dispatcher.close();
  }

  #responseError(label: string, status: number, data: Buffer): MlflowRequestError {
    const text = data.toString('utf8');
    let body: ErrorBody = {};
    try {
      body = JSON.parse(text) as ErrorBody;
    } catch {
      // Proxies and crashed workers respond with HTML or plain text, which the message quotes.
    }
    const detail = body.message ?? text.slice(0, 300);
    const code = body.error_code ? ` ${body.error_code}` : '';
    return new MlflowRequestError(
      this.#redact(`MLflow request ${label} to ${this.#trackingUri} failed with HTTP ${status}${code}: ${detail}`),
      { status, errorCode: body.error_code },
    );
  }

  #networkError(label: string, error: unknown): MlflowRequestError {
    const message = (error as Error).message;
    if (isTlsError(error)) {
      // A certificate problem does not pass by waiting, so it is not retried.
      return new MlflowRequestError(
        this.#redact(
          `TLS connection to the MLflow server at ${this.#trackingUri} failed (${label}): ${message}. ` +
            'Set caFile on the mlflow tracker, or MLFLOW_TRACKING_SERVER_CERT_PATH, to the CA file that signed its certificate.',
        ),
        { transient: false, cause: error },
      );
    }
    return new MlflowRequestError(
      this.#redact(
        `MLflow server at ${this.#trackingUri} is unreachable (${label}): ${message}. ` +
          'Check that the server is running and that the tracking URI is right.',
      ),
      { cause: error },
    );
  }

  #redact(text: string): string {
    return redactSecrets(text, this.#secrets);
  }
}

/** Tells certificate and TLS handshake failures (Node's `CERT_*`, `*_CERT_*` and `ERR_TLS_*` codes) from other network errors. */
function isTlsError(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 3; current = (current as Error).cause, depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /CERT|^ERR_TLS_|^ERR_SSL_/.test(code)) {
      return true;
    }
  }
  return false;
}

function readCaFile(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    throw new CascadeError(
      `Cannot read the CA file "${file}" given as caFile of the mlflow tracker: ${(error as Error).message}.`,
      { cause: error },
    );
  }
}
