/**
 * One writer per state dir: the daemon and every one-shot `reconcile` take this lock, and a second
 * caller waits (bounded) instead of racing. A lock left by a killed process goes stale and is taken over.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';

// Bundled into the program with node:fs in place of graceful-fs (scripts/build-cli.mjs says why). Loaded with this
// module: it installs signal-exit's signal listeners, and a later install changes whose listener runs first (see
// cli/stop-signal.ts).
export { lockfile };

export class LockTimeoutError extends Error {
  override readonly name = 'LockTimeoutError';
  readonly lockPath: string;
  constructor(lockPath: string, waitedMs: number) {
    super(
      `Another ravi-orchestrator holds the lock ${lockPath} (waited ${Math.round(waitedMs / 1000)}s). ` +
        'Wait for it to finish, or stop the daemon; a lock of a killed process expires by itself after 10s.',
    );
    this.lockPath = lockPath;
  }
}

export interface StateLock {
  release(): Promise<void>;
}

export interface AcquireLockOptions {
  /** How long to wait for another holder. @default 120_000 */
  readonly waitMs?: number;
  /** Called if the lock is lost while held (e.g. the state dir vanished). */
  readonly onCompromised?: (error: Error) => void;
}

const STALE_MS = 10_000;

export async function acquireStateLock(stateDir: string, options: AcquireLockOptions = {}): Promise<StateLock> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const lockPath = join(stateDir, 'reconcile.lock');
  const waitMs = options.waitMs ?? 120_000;
  const started = Date.now();
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(stateDir, {
      lockfilePath: lockPath,
      realpath: false,
      stale: STALE_MS,
      retries: { retries: Math.max(1, Math.ceil(waitMs / 250)), factor: 1, minTimeout: 100, maxTimeout: 250, randomize: true, maxRetryTime: waitMs },
      onCompromised: options.onCompromised ?? (() => {}),
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') throw new LockTimeoutError(lockPath, Date.now() - started);
    throw error;
  }
  let released: Promise<void> | null = null;
  return {
    release: () => (released ??= release().catch(() => {})),
  };
}
