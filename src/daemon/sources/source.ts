/**
 * What every watch source offers the daemon (STYLE.md pattern 2, after controller-runtime's pkg/source):
 * start without blocking, say when the initial scan is done, close cleanly. Sources only hand out keys
 * ("look at repo R again"), never event payloads, so merged or lost events cost nothing.
 */
import type { ChokidarOptions, FSWatcher } from 'chokidar';

export interface Source {
  /**
   * Starts watching and returns at once; keys reach `enqueue` debounced. `settled` (the git source only) says the
   * burst that sent the key has ended: the git command that made it finished (see git-paths.ts, finishedBy).
   */
  start(enqueue: (key: string, settled?: boolean) => void): void;
  /** Resolves once every watcher has finished its initial scan (chokidar's `ready`). Call after start(). */
  waitForSync(): Promise<void>;
  /** Closes every watcher and cancels a pending flush. Idempotent. */
  close(): Promise<void>;
}

export interface Debouncer {
  add(key: string): void;
  /** Flushes the pending keys now, without waiting for the quiet time (the burst is known to have ended). */
  flush(): void;
  /** Drops pending keys and the timer. */
  cancel(): void;
}

/**
 * Folds keys into a Set and flushes them once, `delayMs` after the last key of a burst (vitest does the
 * same with its rerun triggers): `git worktree add` writes a dozen files and must cost one pass.
 */
export function createDebouncer(flush: (keys: Set<string>) => void, delayMs = 150): Debouncer {
  let pending = new Set<string>();
  let timer: NodeJS.Timeout | null = null;
  const fire = (): void => {
    timer = null;
    const keys = pending;
    pending = new Set();
    if (keys.size > 0) flush(keys);
  };
  return {
    add(key) {
      pending.add(key);
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(fire, delayMs);
      timer.unref(); // the watchers, not a pending flush, decide whether the process stays alive
    },
    flush() {
      if (timer !== null) clearTimeout(timer);
      fire();
    },
    cancel() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      pending = new Set();
    },
  };
}

/** A running chokidar watcher. */
export interface StartedWatcher {
  /** Resolves on chokidar's first `ready`, or on close() if that comes first (so nobody waits forever). */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts chokidar on `paths` and reports every add/change/unlink/addDir/unlinkDir to `onEvent` (the
 * standalone dashboard watches the state dir with it; the daemon's sources use FolderWatches, which spends
 * one inotify watch per folder where chokidar spends one per file too). chokidar is loaded here, on first
 * use, so that the daemon never loads it.
 * Watcher errors (EMFILE, ENOSPC for inotify limits, EACCES) go to `onError`: a watcher never crashes the
 * process (an 'error' event without a listener would throw).
 */
export function startWatcher(
  paths: string | string[],
  options: ChokidarOptions,
  onEvent: (event: string, path: string) => void,
  onError: (error: unknown) => void,
): StartedWatcher {
  let closed = false;
  // ignoreInitial: the first look reads everything anyway. atomic off: chokidar's default holds every unlink
  // back 100 ms to merge it with a following add, and leaves a timer behind after close().
  const started: Promise<FSWatcher | null> = import('chokidar').then(({ watch }) => {
    if (closed) return null;
    const watcher = watch(paths, { ignoreInitial: true, persistent: true, atomic: false, ...options });
    watcher.on('all', (event, path) => onEvent(event, path));
    watcher.on('error', (error) => onError(error));
    return watcher;
  });
  let markReady = (): void => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  void started.then((watcher) => (watcher === null ? markReady() : watcher.once('ready', () => markReady())), (error: unknown) => {
    onError(error);
    markReady();
  });
  return {
    ready,
    async close() {
      closed = true;
      markReady();
      await (await started.catch(() => null))?.close();
    },
  };
}

/** waitForSync() before start() would wait for watchers that do not exist yet: fail loudly instead. */
export function requireStarted(started: boolean, source: string): void {
  if (!started) throw new Error(`${source}: waitForSync() was called before start(); start the source first`);
}
