/** How often and how long a failed request is retried. */
export interface RetryPolicy {
  /** Attempts in total, the first one included. */
  maxAttempts: number;
  /** Upper bound of the first backoff; it doubles after each failed attempt. */
  baseDelayMs: number;
  /** Upper bound of any single backoff; a server's `Retry-After` may ask for longer. */
  maxDelayMs: number;
}

/** Retries for calls that training waits on briefly, such as logging params. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 250, maxDelayMs: 10_000 };

/** HTTP statuses worth another attempt: rate limiting and server-side failures. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/**
 * Returns the wait before retry number `attempt` (0 for the first retry): "full jitter", a uniform
 * draw between 0 and the exponential bound, so that many clients do not retry in lockstep.
 */
export function backoffDelayMs(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const bound = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.round(random() * bound);
}

/**
 * Parses a `Retry-After` header, either delay seconds or an HTTP date, into milliseconds from `nowMs`.
 * Returns undefined for a missing or unreadable header.
 */
export function parseRetryAfterMs(header: string | undefined, nowMs: number = Date.now()): number | undefined {
  if (header === undefined || header.trim() === '') {
    return undefined;
  }
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    return Math.round(Number(trimmed) * 1000);
  }
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) {
    return undefined;
  }
  return Math.max(0, date - nowMs);
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
