/**
 * Which paths under a git common dir say something about the repo's worktrees (pure; STYLE.md pattern 2).
 * Only the admin area matters: `worktrees/` and `worktrees/<id>/{gitdir,HEAD,locked}`. Everything else git
 * writes there (objects, logs, refs, the index, lock files, the main HEAD) is noise for us.
 */
import { isAbsolute, relative, sep } from 'node:path';

/** True when a change at `changedPath` (absolute) may change what `git worktree list` reports for the repo. */
export function classifyGitPath(commonDir: string, changedPath: string): boolean {
  const parts = segmentsUnder(commonDir, changedPath);
  // The common dir itself appearing or vanishing is news too (a repo deleted or re-cloned).
  return parts !== null && (parts.length === 0 || isAdminPath(parts));
}

/**
 * The `ignored` matcher for chokidar watching `commonDir`: everything that classifyGitPath rejects, so that
 * chokidar neither descends into objects/ or logs/ nor keeps a per-file watcher (an fd on macOS) for them.
 * Paths outside the common dir stay visible: chokidar watches the parent while a root does not exist yet.
 */
export function chokidarIgnoreFor(commonDir: string): (path: string) => boolean {
  return (path) => {
    const parts = segmentsUnder(commonDir, path);
    return parts !== null && parts.length > 0 && !isAdminPath(parts);
  };
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
