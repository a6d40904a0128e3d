/**
 * Watches the files we manage inside worktrees (env file, `.ravi/config.json`) and the worktree folders
 * themselves, and enqueues the owning key when one is edited, replaced, deleted, or its folder is `rm -rf`'d.
 * Each file is watched through its folder (FolderWatches: one watch per folder, so a worktree whose env file
 * sits at its top costs one watch), filtered to the file's name: write-file-atomic's temp files
 * (`<file>.<murmurhash>`) never match, so our own atomic write comes back as one event, the final rename.
 * The next pass would find the file in sync and write nothing (level-triggered), so there is no loop; the
 * daemon skips that pass too (daemon/watch-events.ts).
 */
import { basename, dirname, resolve } from 'node:path';
import { FolderWatches, type FolderPlan, type WatchProblem } from './folder-watches.js';
import { createDebouncer, requireStarted, type Source } from './source.js';

export interface WatchEntry {
  /** What gets enqueued when one of `files` changes (the daemon uses the configured repo). */
  readonly key: string;
  /** Absolute paths of files, and of folders holding some of them (a worktree: its own deletion matters). */
  readonly files: readonly string[];
}

export interface WorktreeFilesSourceOptions {
  /** Quiet time after the last event before the key is enqueued. @default 150 */
  readonly debounceMs?: number;
}

export interface WorktreeFilesSource extends Source {
  /** Replaces the watched set; folders that stay keep their watch (cheap to call per pass). */
  setWatched(entries: ReadonlyArray<WatchEntry>): Promise<void>;
  /** The folders that could not be watched at the last setWatched(); each problem's keys are entry keys. */
  problems(): WatchProblem[];
  /** Folders watched now. */
  watchCount(): number;
}

export function createWorktreeFilesSource(options: WorktreeFilesSourceOptions = {}): WorktreeFilesSource {
  let wanted: ReadonlyArray<WatchEntry> = [];
  let enqueue: ((key: string) => void) | null = null;
  let closed = false;
  const debouncer = createDebouncer((keys) => {
    for (const key of keys) enqueue?.(key);
  }, options.debounceMs ?? 150);
  const watches = new FolderWatches((_folder, keys) => {
    for (const key of keys) debouncer.add(key);
  });

  function sync(): void {
    const plan = new Map<string, { names: Set<string>; keys: Set<string> }>();
    for (const { key, files } of wanted) {
      for (const [folder, names] of watchPlan(files)) {
        const entry = plan.get(folder) ?? { names: new Set<string>(), keys: new Set<string>() };
        for (const name of names) entry.names.add(name);
        entry.keys.add(key);
        plan.set(folder, entry);
      }
    }
    watches.sync(plan as ReadonlyMap<string, FolderPlan>);
  }

  return {
    start(callback) {
      if (closed || enqueue !== null) return;
      enqueue = callback;
      sync();
    },
    async waitForSync() {
      requireStarted(enqueue !== null || closed, 'worktree files source');
    },
    async setWatched(entries) {
      wanted = entries;
      if (enqueue !== null && !closed) sync();
    },
    problems: () => watches.problems(),
    watchCount: () => watches.size,
    async close() {
      closed = true;
      enqueue = null;
      debouncer.cancel();
      watches.close();
    },
  };
}

/**
 * The folders to watch for `files` (absolute), each with the names that matter in it. A listed path that
 * holds another listed path is a folder of ours (a worktree): it is watched itself, which reports its own
 * deletion. Any other path is a file, watched through its folder and admitted by name.
 */
export function watchPlan(files: readonly string[]): Map<string, Set<string>> {
  const paths = [...new Set(files.map((file) => resolve(file)))];
  // Every proper ancestor of a listed path, each walked once (a pass of 2000 worktrees lists 4000 paths).
  const ancestors = new Set<string>();
  for (const path of paths) {
    for (let dir = dirname(path); !ancestors.has(dir); dir = dirname(dir)) {
      ancestors.add(dir);
      if (dirname(dir) === dir) break;
    }
  }
  const plan = new Map<string, Set<string>>();
  const add = (folder: string, name: string | null): void => {
    const names = plan.get(folder) ?? new Set<string>();
    if (name !== null) names.add(name);
    plan.set(folder, names);
  };
  for (const path of paths) {
    if (ancestors.has(path)) add(path, null);
    else add(dirname(path), basename(path));
  }
  return plan;
}
