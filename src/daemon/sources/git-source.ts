/**
 * Watches each repo's git common dir and enqueues the common dir (the repo key) when its worktree admin
 * area changes: `git worktree add/remove/move/lock/unlock/prune`, a branch switch inside a worktree.
 */
import { stat } from 'node:fs/promises';
import { chokidarIgnoreFor, classifyGitPath } from './git-paths.js';
import { createDebouncer, requireStarted, startWatcher, type Source, type StartedWatcher } from './source.js';

export interface GitSourceOptions {
  /** Quiet time after the last event before the repo is enqueued. @default 150 */
  readonly debounceMs?: number;
  /** Watcher errors (EMFILE, inotify limits). The repo is enqueued as well. @default ignore */
  readonly onError?: (error: unknown, commonDir: string) => void;
}

export interface GitSource extends Source {
  /**
   * Replaces the set of watched common dirs (config reload); resolves once new watchers are ready. Also
   * restarts the watcher of a common dir that was deleted and made again since (a re-clone): calling it
   * with the same set costs one stat per repo, so a periodic resync may call it every time.
   */
  setRepos(commonDirs: readonly string[]): Promise<void>;
}

export function createGitSource(commonDirs: readonly string[], options: GitSourceOptions = {}): GitSource {
  const watchers = new Map<string, Watched>();
  let wanted = new Set(commonDirs);
  let enqueue: ((key: string) => void) | null = null;
  let closing: Promise<void> | null = null;
  const debouncer = createDebouncer((keys) => {
    for (const key of keys) enqueue?.(key);
  }, options.debounceMs ?? 150);

  function watchRepo(commonDir: string): Watched {
    const watcher = startWatcher(
      commonDir,
      // The common dir itself, not `worktrees/`: git deletes that folder with the last linked worktree and
      // makes it again later. depth 2 reaches `worktrees/<id>/locked`; the matcher keeps out objects/ & co.
      { depth: 2, ignored: chokidarIgnoreFor(commonDir) },
      (_event, path) => {
        if (classifyGitPath(commonDir, path)) debouncer.add(commonDir);
      },
      (error) => {
        options.onError?.(error, commonDir);
        debouncer.add(commonDir); // it may have missed something: look again
      },
    );
    return { watcher, identity: identityOf(commonDir) };
  }

  /** Makes the running watchers match `wanted`; restarts those whose common dir was replaced since. */
  async function reconcileWatchers(): Promise<void> {
    // Synchronous first, so that a waitForSync() right after start() waits for these watchers.
    const stale: Watched[] = [];
    for (const [dir, watched] of watchers) {
      if (wanted.has(dir)) continue;
      watchers.delete(dir);
      stale.push(watched);
    }
    const kept = [...watchers];
    for (const dir of wanted) if (!watchers.has(dir)) watchers.set(dir, watchRepo(dir));
    // chokidar does not follow a root that is deleted and made again (`rm -rf app && git clone ... app`).
    await Promise.all(
      kept.map(async ([dir, watched]) => {
        if ((await identityOf(dir)) === (await watched.identity)) return;
        if (closing !== null || watchers.get(dir) !== watched) return; // closed or replaced meanwhile
        watchers.set(dir, watchRepo(dir));
        stale.push(watched);
      }),
    );
    await Promise.all(stale.map(({ watcher }) => watcher.close()));
    await Promise.all([...watchers.values()].map(({ watcher }) => watcher.ready));
  }

  return {
    start(callback) {
      if (closing !== null || enqueue !== null) return;
      enqueue = callback;
      void reconcileWatchers();
    },
    async waitForSync() {
      requireStarted(enqueue !== null || closing !== null, 'git source');
      await Promise.all([...watchers.values()].map(({ watcher }) => watcher.ready));
    },
    async setRepos(next) {
      wanted = new Set(next);
      // Before start() only remember them: start() is the one that begins watching.
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

interface Watched {
  readonly watcher: StartedWatcher;
  /** Device, inode and birth time of the common dir when the watch began; null when it did not exist. */
  readonly identity: Promise<string | null>;
}

async function identityOf(dir: string): Promise<string | null> {
  try {
    // ext4 hands a re-clone the inode number of the deleted folder at once; the birth time tells them apart.
    const { dev, ino, birthtimeMs } = await stat(dir);
    return `${dev}:${ino}:${birthtimeMs}`;
  } catch {
    return null;
  }
}
