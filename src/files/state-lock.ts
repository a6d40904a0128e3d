/**
 * One writer per state dir: the daemon and every one-shot `reconcile` take this lock, and a second
 * caller waits (bounded) instead of racing. A lock whose holder was killed is taken over: at once when the
 * holder is provably dead (lock-holder.ts), else once it goes stale (10 s without its holder's refresh).
 */
import fs, { mkdirSync, rmdirSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { forgetHolder, provablyDead, readHolder, recordHolder, sameHolder } from './lock-holder.js';

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
        'Wait for it to finish, or stop the daemon. A lock whose holder was killed on this machine is taken over at once; ' +
        'one held from another machine or container expires by itself 10s after its holder stopped.',
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
/** A waiter's pause between tries, drawn in this range (jitter keeps waiters from trying in step). */
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 250;

export async function acquireStateLock(stateDir: string, options: AcquireLockOptions = {}): Promise<StateLock> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const lockPath = join(stateDir, 'reconcile.lock');
  const waitMs = options.waitMs ?? 120_000;
  const started = Date.now();
  const lockOptions = {
    lockfilePath: lockPath,
    realpath: false,
    stale: STALE_MS,
    retries: 0, // the loop below retries, and looks at the holder between tries
    fs: removingHolderWith(lockPath),
    onCompromised: options.onCompromised ?? (() => {}),
  };
  let release: () => Promise<void>;
  for (let attempt = 1; ; attempt += 1) {
    try {
      release = await lockfile.lock(stateDir, lockOptions);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
      if (takeOverFromDeadHolder(lockPath)) continue;
      const waited = Date.now() - started;
      if (waited >= waitMs && attempt > 1) throw new LockTimeoutError(lockPath, waited);
      const pause = RETRY_MIN_MS + Math.random() * (RETRY_MAX_MS - RETRY_MIN_MS);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(pause, waitMs - waited))));
    }
  }
  recordHolder(lockPath);
  let released: Promise<void> | null = null;
  return {
    release: () => (released ??= release().catch(() => {})),
  };
}

/**
 * node:fs for proper-lockfile, whose removals of the lock's folder (its release, a stale lock's takeover, the
 * removal at exit) are rmdir calls: the holder's record inside goes first, or the folder would not be empty.
 * Inherits the rest from node:fs rather than copying it: a copy reads every lazy getter of node:fs (ReadStream,
 * WriteStream, ...), which loads Node's stream modules, 2-3 ms of every pass's start that nothing uses.
 */
function removingHolderWith(lockDir: string): typeof fs {
  return Object.assign(Object.create(fs) as typeof fs, {
    rmdir: ((path: fs.PathLike, callback: fs.NoParamCallback) => {
      if (path === lockDir) forgetHolder(lockDir);
      fs.rmdir(path, callback);
    }) as typeof fs.rmdir,
    rmdirSync: (path: fs.PathLike) => {
      if (path === lockDir) forgetHolder(lockDir);
      fs.rmdirSync(path);
    },
  });
}

/**
 * Removes the lock of a provably dead holder; true when it did (the caller tries again at once). Waiters do this
 * one at a time, under `<lock>.break` (mkdir is atomic), and judge again inside, with synchronous calls only: the
 * folder removed is the one whose record was judged, never a lock a live waiter took meanwhile. This runs only for
 * a lock proper-lockfile has just found fresh (ELOCKED): a stale one it removes itself, with the race it has always
 * had (judged stale by its mtime, then removed, while another waiter may have done the same and taken it anew).
 */
function takeOverFromDeadHolder(lockDir: string): boolean {
  const judged = readHolder(lockDir);
  if (judged === null || !provablyDead(judged)) return false;
  const breakDir = `${lockDir}.break`;
  if (!takeBreakLock(breakDir)) return false;
  try {
    const holder = readHolder(lockDir);
    if (holder === null || !sameHolder(holder, judged)) return false;
    forgetHolder(lockDir);
    rmdirSync(lockDir);
    return true;
  } catch {
    return false; // gone already (its holder's exit handler), or someone else's file inside: wait as before
  } finally {
    try {
      rmdirSync(breakDir);
    } catch {
      // removed as stale by another waiter: nothing of ours is left
    }
  }
}

/** Takes `<lock>.break`; one a breaker left when it was killed in its few microseconds there is stale after 10 s. */
function takeBreakLock(breakDir: string): boolean {
  try {
    mkdirSync(breakDir, { mode: 0o700 });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return false;
    try {
      if (statSync(breakDir).mtimeMs < Date.now() - STALE_MS) rmdirSync(breakDir);
    } catch {
      // gone meanwhile: the next try takes it
    }
    return false;
  }
}
