/**
 * Watches each repo's git admin area and enqueues the common dir (the repo key) when it changes:
 * `git worktree add/remove/move/lock/unlock/prune`, a branch switch inside a worktree. Per repo that is
 * the common dir (for `worktrees/` appearing and vanishing), `worktrees/` (an id added or removed) and one
 * folder per worktree, `worktrees/<id>/` (its HEAD, gitdir and locked files): 2 + N watches (git-paths.ts).
 * The per-worktree folders follow `worktrees/` as it changes, without waiting for a pass.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { finishedBy, gitWatchPlan } from './git-paths.js';
import { FolderWatches, WatchError, type FolderPlan, type WatchProblem } from './folder-watches.js';
import { createDebouncer, requireStarted, type Source } from './source.js';

export interface GitSourceOptions {
  /** Quiet time after the last event before the repo is enqueued. @default 150 */
  readonly debounceMs?: number;
  /** Called after each rescan while some folder cannot be watched (see problems()), and once when none is left. */
  readonly onProblemsChanged?: () => void;
  /** Called once for each folder that newly could not be watched (the dashboard logs it). @default ignore */
  readonly onError?: (error: unknown, commonDir: string) => void;
  /**
   * Called with the admin ids a rescan found new in `worktrees/` (a `git worktree add` under way or done), before
   * the flush that a finished add causes: a hint of where to look first, never the truth (the pass reads that).
   */
  readonly onAdded?: (commonDir: string, adminIds: readonly string[]) => void;
}

export interface GitSource extends Source {
  /**
   * Replaces the set of watched common dirs (config reload); resolves once their watches are in place. Also
   * re-checks every repo's folders (a repo deleted and cloned again is another folder) and retries watches
   * that could not be placed: a periodic resync may call it every time (a stat and a readdir per repo).
   */
  setRepos(commonDirs: readonly string[]): Promise<void>;
  /** The folders that could not be watched; each problem's keys are common dirs. */
  problems(): WatchProblem[];
  /** Folders watched now. */
  watchCount(): number;
}

export function createGitSource(commonDirs: readonly string[], options: GitSourceOptions = {}): GitSource {
  let wanted = [...new Set(commonDirs)];
  /** Common dir -> the worktree ids found in `worktrees/` at the last scan. */
  const ids = new Map<string, readonly string[]>();
  let enqueue: ((key: string, settled?: boolean) => void) | null = null;
  /** Keys whose pending burst ended with the last step of a git command (flushed at once, see finishedBy). */
  const settled = new Set<string>();
  let closing: Promise<void> | null = null;
  let synced: Promise<void> = Promise.resolve();
  let hadProblems = false;
  let reported = new Set<string>();
  const debouncer = createDebouncer((keys) => {
    for (const key of keys) enqueue?.(key, settled.delete(key));
  }, options.debounceMs ?? 150);
  const watches = new FolderWatches((folder, keys, entry) => {
    let finished = false;
    for (const commonDir of keys) {
      debouncer.add(commonDir);
      // A synchronous existence check, only for the two entries that can end a command (a few per command).
      if (finishedBy(commonDir, folder, entry) !== null && !existsSync(join(folder, entry as string))) {
        settled.add(commonDir);
        finished = true;
      }
      // The common dir or worktrees/ changed: the set of worktree folders to watch may have too.
      if (folder === commonDir || folder === join(commonDir, 'worktrees')) rescan([commonDir]);
    }
    if (finished) debouncer.flush();
  });

  /** Reads `worktrees/` of each repo, then makes the watches match; scans run one after the other. */
  function rescan(dirs: readonly string[]): Promise<void> {
    synced = synced.catch(() => {}).then(async () => {
      let finished = false;
      await Promise.all(dirs.map(async (commonDir) => {
        const before = ids.get(commonDir);
        const now = await worktreeIds(commonDir);
        ids.set(commonDir, now);
        const known = new Set(before);
        const added = before === undefined ? [] : now.filter((id) => !known.has(id));
        if (added.length > 0 && closing === null) options.onAdded?.(commonDir, added);
        if (added.some((id) => addFinished(join(commonDir, 'worktrees', id)))) {
          settled.add(commonDir);
          finished = true;
        }
      }));
      if (closing !== null || enqueue === null) return;
      if (finished) debouncer.flush();
      const plan = new Map<string, FolderPlan>();
      for (const commonDir of wanted) {
        for (const [folder, names] of gitWatchPlan(commonDir, ids.get(commonDir) ?? [])) plan.set(folder, { names, keys: new Set([commonDir]) });
      }
      watches.sync(plan);
      const problems = watches.problems();
      for (const problem of problems) {
        if (!reported.has(problem.path)) for (const key of problem.keys) options.onError?.(new WatchError(problem), key);
      }
      reported = new Set(problems.map((problem) => problem.path));
      if (problems.length > 0 || hadProblems) options.onProblemsChanged?.();
      hadProblems = problems.length > 0;
    });
    return synced;
  }

  return {
    start(callback) {
      if (closing !== null || enqueue !== null) return;
      enqueue = callback;
      void rescan(wanted);
    },
    async waitForSync() {
      requireStarted(enqueue !== null || closing !== null, 'git source');
      await synced;
    },
    async setRepos(next) {
      wanted = [...new Set(next)];
      for (const commonDir of [...ids.keys()]) if (!wanted.includes(commonDir)) ids.delete(commonDir);
      for (const commonDir of wanted) {
        watches.recheck(commonDir); // deleted and cloned again: the old watch sees nothing
        watches.recheck(join(commonDir, 'worktrees'));
      }
      // Before start() only remember them: start() is the one that begins watching.
      if (enqueue !== null && closing === null) await rescan(wanted);
    },
    problems: () => watches.problems(),
    watchCount: () => watches.size,
    close() {
      closing ??= (async () => {
        enqueue = null;
        debouncer.cancel();
        settled.clear();
        await synced.catch(() => {});
        watches.close();
      })();
      return closing;
    },
  };
}

/**
 * A new admin folder whose `git worktree add` already ended before its watch was placed (so the unlink of
 * `locked` sent no event): git writes `locked` before HEAD and unlinks it last (finishedBy), so HEAD without
 * `locked` means done. Checked before the folder's watch is placed, so an add settles once at most: by this
 * look or by the unlink event (both can miss a fast add; then the quiet time applies, as before).
 */
function addFinished(adminFolder: string): boolean {
  return existsSync(join(adminFolder, 'HEAD')) && !existsSync(join(adminFolder, 'locked'));
}

/** The entries of `<commonDir>/worktrees/` (git's admin ids), or none when it does not exist (yet). */
async function worktreeIds(commonDir: string): Promise<string[]> {
  try {
    const entries = await readdir(join(commonDir, 'worktrees'), { withFileTypes: true });
    return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  } catch {
    return [];
  }
}
