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
