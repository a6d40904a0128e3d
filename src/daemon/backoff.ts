/**
 * The workqueue's retry policy: whether a failed run is retried (`isTerminal`) and after how long.
 *
 * Per-key retry delay after a failed run: `min(max, base * 2^(failures-1))`, then ±20% uniform jitter,
 * then the cap again (so the cap always holds; at the cap the jitter only ever shortens the wait).
 *
 * Why ±20% and not full jitter: full jitter (`random * delay`) can retry a failing key after ~0 ms,
 * which for a daemon with a handful of keys is close to a hot loop and makes "retry at" in the status
 * unpredictable. ±20% keeps the documented 1s, 2s, 4s… shape while still spreading keys that failed
 * together (a network outage) so they do not all retry in the same instant.
 */
import { TerminalError } from '../util/errors.js';

/** Fraction of the delay the jitter may add or remove. */
export const BACKOFF_JITTER = 0.2;

export interface BackoffOptions {
  readonly baseMs: number;
  readonly maxMs: number;
  /** Uniform in [0, 1); 0.5 gives the exact un-jittered delay. */
  readonly random: () => number;
}

/** Delay in whole ms before retry number `failures` (1 = the first failure). */
export function backoffDelay(failures: number, options: BackoffOptions): number {
  // 2^62 times any base already exceeds any sane cap; bounding the exponent avoids 0 * Infinity = NaN.
  const exponent = Math.min(Math.max(failures, 1) - 1, 62);
  const raw = Math.min(options.maxMs, options.baseMs * 2 ** exponent);
  const factor = 1 - BACKOFF_JITTER + 2 * BACKOFF_JITTER * options.random();
  return Math.max(0, Math.round(Math.min(options.maxMs, raw * factor)));
}

/** A `TerminalError` or `terminal: true` anywhere on the cause chain (as Go's `errors.Is` unwraps). */
export function isTerminal(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Object && depth < 16; depth += 1) {
    if (current instanceof TerminalError || (current as { terminal?: unknown }).terminal === true) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
