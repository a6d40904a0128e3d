/** Daemon tuning, with defaults in one place (STYLE.md pattern 7). */
import { VANISHED_SETTLE_MS } from '../reconcile/vanished-files.js';
export interface DaemonOptions {
  /** Full resync of every repo, for drift no event reports. @default 300_000 (5 min) */
  readonly resyncMs: number;
  /** Resync jitter, as a fraction of resyncMs. @default 0.1 */
  readonly resyncJitter: number;
  /** Debounce of watch events, so a burst of git writes costs one pass. @default 150 */
  readonly debounceMs: number;
  /** How long a pass waits for a one-shot reconcile holding the state lock. @default 300_000 */
  readonly lockWaitMs: number;
  /** Hard limit for a graceful shutdown before the process exits anyway. @default 8_000 */
  readonly shutdownTimeoutMs: number;
  /**
   * While a folder cannot be watched (the inotify limit is spent), its repo is looked at this often instead
   * of waiting for the resync; the watch is tried again each time. @default 30_000
   */
  readonly unwatchedResyncMs: number;
  /**
   * How long a file of ours that vanished since the last pass stays gone before it is written again: its folder
   * may be under `git worktree remove` (reconcile/vanished-files.ts). @default 2_000
   */
  readonly vanishedSettleMs: number;
  /** Per-repo retry backoff. @default 1_000 and 300_000 */
  readonly baseBackoffMs: number;
  readonly maxBackoffMs: number;
}

export const DEFAULT_DAEMON_OPTIONS: DaemonOptions = {
  resyncMs: 300_000,
  resyncJitter: 0.1,
  debounceMs: 150,
  lockWaitMs: 300_000,
  shutdownTimeoutMs: 8_000,
  unwatchedResyncMs: 30_000,
  vanishedSettleMs: VANISHED_SETTLE_MS,
  baseBackoffMs: 1_000,
  maxBackoffMs: 300_000,
};

/** Tests and power users tune the daemon through RAVI_ORCHESTRATOR_RESYNC_MS and friends. */
export function daemonOptionsFromEnv(env: NodeJS.ProcessEnv): DaemonOptions {
  const read = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number of milliseconds (got "${raw}")`);
    return value;
  };
  const d = DEFAULT_DAEMON_OPTIONS;
  return {
    ...d,
    resyncMs: read('RAVI_ORCHESTRATOR_RESYNC_MS', d.resyncMs),
    unwatchedResyncMs: read('RAVI_ORCHESTRATOR_UNWATCHED_RESYNC_MS', d.unwatchedResyncMs),
    debounceMs: read('RAVI_ORCHESTRATOR_DEBOUNCE_MS', d.debounceMs),
    vanishedSettleMs: read('RAVI_ORCHESTRATOR_VANISHED_SETTLE_MS', d.vanishedSettleMs),
    baseBackoffMs: read('RAVI_ORCHESTRATOR_BACKOFF_MS', d.baseBackoffMs),
  };
}
