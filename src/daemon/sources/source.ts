/**
 * What every watch source offers the daemon (STYLE.md pattern 2, after controller-runtime's pkg/source):
 * start without blocking, say when the initial scan is done, close cleanly. Sources only hand out keys
 * ("look at repo R again"), never event payloads, so merged or lost events cost nothing.
 */
import { watch, type ChokidarOptions, type FSWatcher } from 'chokidar';

export interface Source {
  /** Starts watching and returns at once; keys reach `enqueue` debounced. */
  start(enqueue: (key: string) => void): void;
  /** Resolves once every watcher has finished its initial scan (chokidar's `ready`). Call after start(). */
  waitForSync(): Promise<void>;
  /** Closes every watcher and cancels a pending flush. Idempotent. */
  close(): Promise<void>;
}

export interface Debouncer {
  add(key: string): void;
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
 * Starts chokidar on `paths` and reports every add/change/unlink/addDir/unlinkDir to `onEvent`.
 * Watcher errors (EMFILE, ENOSPC for inotify limits, EACCES) go to `onError`: a source never crashes the
 * daemon (an 'error' event without a listener would throw), and the periodic resync covers what it misses.
 */
export function startWatcher(
  paths: string | string[],
  options: ChokidarOptions,
  onEvent: (event: string, path: string) => void,
  onError: (error: unknown) => void,
): StartedWatcher {
  // ignoreInitial: the first pass reads everything anyway. atomic off: chokidar's default holds every
  // unlink back 100 ms to merge it with a following add into a 'change'; we only need "something changed",
  // and the delay would stretch the gaps inside a burst (`git worktree add` dropping its lock) past the
  // debounce, and leave a timer behind after close().
  const watcher: FSWatcher = watch(paths, { ignoreInitial: true, persistent: true, atomic: false, ...options });
  let markReady = (): void => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  watcher.once('ready', () => markReady());
  watcher.on('all', (event, path) => onEvent(event, path));
  watcher.on('error', (error) => onError(error));
  return {
    ready,
    async close() {
      markReady();
      await watcher.close();
    },
  };
}

/** waitForSync() before start() would wait for watchers that do not exist yet: fail loudly instead. */
export function requireStarted(started: boolean, source: string): void {
  if (!started) throw new Error(`${source}: waitForSync() was called before start(); start the source first`);
}
