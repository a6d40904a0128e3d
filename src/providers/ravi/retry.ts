/**
 * Retry policy for Ravi calls: exponential backoff with full jitter, 429's retry-after honoured up to a
 * cap, prompt abort. The caller classifies each attempt; this module only decides when to try again.
 */
import { ProviderError } from '../../util/errors.js';

/** One attempt's outcome, as the caller classified it. */
export type AttemptOutcome<T> =
  | { readonly ok: true; readonly value: T }
  | {
      readonly ok: false;
      /** Thrown as is when the attempt is not retried (or was the last one). */
      readonly error: ProviderError;
      readonly retryable: boolean;
      /** What the server asked for (429), in ms; null when it did not say. */
      readonly retryAfterMs?: number | null;
    };

export interface RetryPolicy {
  /** Total attempts, the first included. @default 4 */
  readonly attempts: number;
  /** First backoff ceiling. @default 200 */
  readonly baseMs: number;
  /** Largest backoff ceiling. @default 5000 */
  readonly capMs: number;
  /** Longest server-requested wait we sit out; longer ones fail with RATE_LIMITED. @default 60000 */
  readonly maxRetryAfterMs: number;
  /** Source of jitter in [0, 1). @default Math.random */
  readonly random: () => number;
  /** Waits; tests inject one that records instead of sleeping. @default an abortable timer */
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  attempts: 4,
  baseMs: 200,
  capMs: 5_000,
  maxRetryAfterMs: 60_000,
  random: Math.random,
  sleep: abortableSleep,
};

/**
 * Runs `attempt(1..n)` until it succeeds, fails for good, or attempts run out. Rethrows the caller's
 * abort reason as soon as the signal fires, also mid-wait.
 */
export async function withRetry<T>(
  attempt: (attemptNumber: number) => Promise<AttemptOutcome<T>>,
  policy: RetryPolicy,
  signal?: AbortSignal,
): Promise<T> {
  const attempts = Math.max(1, Math.floor(policy.attempts));
  for (let n = 1; ; n++) {
    signal?.throwIfAborted();
    const outcome = await attempt(n);
    if (outcome.ok) return outcome.value;
    if (!outcome.retryable || n >= attempts) throw outcome.error;
    const asked = outcome.retryAfterMs ?? null;
    if (asked !== null && asked > policy.maxRetryAfterMs) throw waitTooLong(outcome.error, asked, policy);
    // Honour the server's wait, but never retry sooner than our own backoff would.
    const delay = Math.max(asked ?? 0, backoffDelay(policy, n));
    await policy.sleep(delay, signal);
  }
}

/** Full jitter: uniform in [0, min(cap, base * 2^(n-1))) (AWS architecture blog, "Exponential Backoff And Jitter"). */
export function backoffDelay(policy: RetryPolicy, attemptNumber: number): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attemptNumber - 1));
  return Math.floor(policy.random() * ceiling);
}

/** A 429's requested wait in ms: the body's `retry_after_seconds`, else the `Retry-After` header. */
export function retryAfterMs(retryAfterHeader: string | null, body: unknown, now: number = Date.now()): number | null {
  const fromBody = (body as { retry_after_seconds?: unknown } | null)?.retry_after_seconds;
  if (typeof fromBody === 'number' && Number.isFinite(fromBody) && fromBody >= 0) return fromBody * 1000;
  const header = retryAfterHeader?.trim();
  if (!header) return null;
  if (/^\d+(\.\d+)?$/.test(header)) return Number(header) * 1000;
  const date = Date.parse(header); // Retry-After may also be an HTTP date.
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

export function resolveRetryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  return { ...DEFAULT_RETRY_POLICY, ...stripUndefined(overrides) };
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function waitTooLong(error: ProviderError, askedMs: number, policy: RetryPolicy): ProviderError {
  const seconds = Math.ceil(askedMs / 1000);
  const at = new Date(Date.now() + askedMs).toISOString();
  return new ProviderError(
    `${error.message}; Ravi asks to wait ${seconds}s, longer than the ${Math.round(policy.maxRetryAfterMs / 1000)}s ` +
      `we wait in one call: retry after ${at}`,
    {
      code: 'RATE_LIMITED',
      status: error.status,
      method: error.method,
      path: error.path,
      attempts: error.attempts,
      transient: true,
      cause: error,
    },
  );
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
