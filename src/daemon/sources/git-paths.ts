/**
 * Which paths under a git common dir say something about the repo's worktrees, and which folders to watch
 * for them (pure; STYLE.md pattern 2).
 * Only the admin area matters: `worktrees/` and `worktrees/<id>/{gitdir,HEAD,locked}`. Everything else git
 * writes there (objects, logs, refs, the index, lock files, the main HEAD) is noise for us.
 */
import { isAbsolute, join, relative, sep } from 'node:path';
import { ANY_NAME } from './folder-watches.js';

/** True when a change at `changedPath` (absolute) may change what `git worktree list` reports for the repo. */
export function classifyGitPath(commonDir: string, changedPath: string): boolean {
  const parts = segmentsUnder(commonDir, changedPath);
  // The common dir itself appearing or vanishing is news too (a repo deleted or re-cloned).
  return parts !== null && (parts.length === 0 || isAdminPath(parts));
}

/**
 * The folders to watch in `commonDir` (FolderWatches), each with the entry names that matter in it: the
 * common dir for `worktrees` (git deletes it with the last linked worktree and makes it again later),
 * `worktrees/` for any id coming or going, and each `worktrees/<id>/` for its ADMIN_FILES. A change that
 * classifyGitPath accepts is admitted here and one it rejects is not (test/unit/git-paths.test.ts).
 */
export function gitWatchPlan(commonDir: string, ids: readonly string[]): Map<string, ReadonlySet<string>> {
  const admin = join(commonDir, 'worktrees');
  const plan = new Map<string, ReadonlySet<string>>([
    [commonDir, new Set(['worktrees'])],
    [admin, new Set([ANY_NAME])],
  ]);
  for (const id of ids) if (!id.endsWith('.lock')) plan.set(join(admin, id), ADMIN_FILES);
  return plan;
}

/**
 * Whether a change of `entry` in the watched `folder` is the last step of a git command, when `entry` no longer
 * exists (the caller checks): then no more writes of that command follow, and the pass need not wait for the
 * debounce's quiet time. builtin/worktree.c (git 2.39):
 * - `git worktree add` writes `worktrees/<id>/locked` ("initializing") before anything else and unlinks it once
 *   the checkout is done (add_worktree, label `done`); `git worktree unlock` unlinks it and nothing else.
 * - `git worktree remove` deletes the worktree's folder, then its admin folder `worktrees/<id>` (delete_git_dir);
 *   `git worktree prune` deletes admin folders one after the other (each one finished, the next a new burst).
 * Anything else (or a watch placed too late to see the unlink) keeps the quiet time: this only ever shortens it.
 */
export function finishedBy(commonDir: string, folder: string, entry: string | null): 'lock-removed' | 'admin-folder-removed' | null {
  if (entry === null) return null;
  const parts = segmentsUnder(commonDir, join(folder, entry));
  if (parts === null || parts[0] !== 'worktrees') return null;
  if (parts.length === 3 && parts[2] === 'locked' && !(parts[1] as string).endsWith('.lock')) return 'lock-removed';
  if (parts.length === 2 && !(parts[1] as string).endsWith('.lock')) return 'admin-folder-removed';
  return null;
}

/** Files inside `worktrees/<id>/` whose change matters: move, branch switch, lock, unlock, prunable. */
const ADMIN_FILES: ReadonlySet<string> = new Set([
  'gitdir', // rewritten by `git worktree move` and `repair`; prunable when it points at a missing folder
  'HEAD', // branch switch (replaced by rename from HEAD.lock, so it needs its own watcher)
  'locked', // lock/unlock, and the transient lock `git worktree add` holds while it checks out
]);

function isAdminPath(parts: readonly string[]): boolean {
  const [top, id, file, ...deeper] = parts;
  if (top !== 'worktrees' || deeper.length > 0) return false;
  if (id === undefined) return true; // worktrees/ itself: git removes it with the last linked worktree
  if (file === undefined) return !id.endsWith('.lock'); // worktrees/<id> appearing or vanishing
  return ADMIN_FILES.has(file);
}

/** Path segments of `path` below `root`, [] for root itself, null when outside it. */
function segmentsUnder(root: string, path: string): string[] | null {
  const rel = relative(root, path);
  if (rel === '') return [];
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return null;
  return rel.split(sep);
}
