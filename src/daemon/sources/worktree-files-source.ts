/**
 * Watches the files we manage inside worktrees (env file, `.ravi/config.json`) and the worktree folders
 * themselves, and enqueues the owning key when one is edited, replaced, deleted, or its folder is `rm -rf`'d.
 * Our own atomic writes come back as one change each: the next pass would find the file in sync and write
 * nothing (level-triggered), so there is no loop; the daemon skips that pass too (daemon/watch-events.ts).
 * write-file-atomic's temp files (`<file>.<murmurhash>`) are never on the allowed list, so only the final
 * rename is seen.
 */
import { dirname, resolve } from 'node:path';
import { createDebouncer, requireStarted, startWatcher, type Source, type StartedWatcher } from './source.js';

export interface WatchEntry {
  /** What gets enqueued when one of `files` changes (the daemon uses the configured repo). */
  readonly key: string;
  /** Absolute paths of files or folders; each is watched through its parent folder, filtered to its name. */
  readonly files: readonly string[];
}

export interface WorktreeFilesSourceOptions {
  /** Quiet time after the last event before the key is enqueued. @default 150 */
  readonly debounceMs?: number;
  /** Watcher errors (EMFILE, inotify limits). The key is enqueued as well. @default ignore */
  readonly onError?: (error: unknown, key: string) => void;
}

export interface WorktreeFilesSource extends Source {
  /** Replaces the watched set; entries whose files did not change keep their watcher (cheap to call per pass). */
  setWatched(entries: ReadonlyArray<WatchEntry>): Promise<void>;
}

export function createWorktreeFilesSource(options: WorktreeFilesSourceOptions = {}): WorktreeFilesSource {
  const watchers = new Map<string, { signature: string; watcher: StartedWatcher }>();
  let wanted = new Map<string, readonly string[]>();
  let enqueue: ((key: string) => void) | null = null;
  let closing: Promise<void> | null = null;
  const debouncer = createDebouncer((keys) => {
    for (const key of keys) enqueue?.(key);
  }, options.debounceMs ?? 150);

  function watchKey(key: string, files: readonly string[]): StartedWatcher {
    const { roots, allowed } = watchPlan(files);
    return startWatcher(
      roots,
      { ignored: (path: string) => !allowed.has(path) },
      () => debouncer.add(key), // only allowed paths get this far
      (error) => {
        options.onError?.(error, key);
        debouncer.add(key);
      },
    );
  }

  async function reconcileWatchers(): Promise<void> {
    const replaced: StartedWatcher[] = [];
    for (const [key, current] of watchers) {
      if (!wanted.has(key)) {
        watchers.delete(key);
        replaced.push(current.watcher);
      }
    }
    for (const [key, files] of wanted) {
      const signature = files.join('\0');
      const current = watchers.get(key);
      if (current?.signature === signature) continue;
      if (files.length > 0) watchers.set(key, { signature, watcher: watchKey(key, files) });
      else watchers.delete(key);
      if (current !== undefined) replaced.push(current.watcher);
    }
    // Old watchers close once the new ones are ready: no window in which an edit goes unseen.
    await Promise.all([...watchers.values()].map(({ watcher }) => watcher.ready));
    await Promise.all(replaced.map((watcher) => watcher.close()));
  }

  return {
    start(callback) {
      if (closing !== null || enqueue !== null) return;
      enqueue = callback;
      void reconcileWatchers();
    },
    async waitForSync() {
      requireStarted(enqueue !== null || closing !== null, 'worktree files source');
      await Promise.all([...watchers.values()].map(({ watcher }) => watcher.ready));
    },
    async setWatched(entries) {
      const next = new Map<string, Set<string>>();
      for (const { key, files } of entries) {
        const set = next.get(key) ?? new Set<string>();
        for (const file of files) set.add(resolve(file));
        next.set(key, set);
      }
      wanted = new Map([...next].map(([key, files]) => [key, [...files].sort()]));
      if (enqueue !== null && closing === null) await reconcileWatchers();
    },
    close() {
      closing ??= (async () => {
        enqueue = null;
        debouncer.cancel();
        const all = [...watchers.values()];
        watchers.clear();
        await Promise.all(all.map(({ watcher }) => watcher.close()));
      })();
      return closing;
    },
  };
}

/**
 * What chokidar watches for a set of paths: their folders (each effectively at depth 0: the `ignored`
 * matcher admits only the listed names), and the complete set of paths it may look at. A folder whose
 * parent is itself admitted (`<wt>/.ravi` under `<wt>`) is reached by chokidar's own descent, which also
 * picks it up when it is created later; chokidar's `depth` would not, so it is left unset.
 */
export function watchPlan(files: readonly string[]): { roots: string[]; allowed: Set<string> } {
  const folders = new Set(files.map((file) => dirname(file)));
  const allowed = new Set<string>([...files, ...folders]);
  const roots = [...folders].filter((folder) => !allowed.has(dirname(folder)));
  // A missing root is watched through its parent until it appears; that parent must not be ignored.
  for (const root of roots) allowed.add(dirname(root));
  return { roots, allowed };
}
