/**
 * What Claude Code's own removal does, done by our WorktreeRemove hook (it replaces Claude's removal of the
 * worktrees our create hook made): `git worktree remove --force` (Claude asked the user before discarding
 * changes) and the `worktree-<name>` branch deleted. The branch goes only with `git branch -d`: one holding
 * commits no other branch has is kept and named, never lost. A path that holds no worktree any more is a no-op
 * (Claude also fires the hook for worktrees already removed, and treats a failure as "could not remove").
 */
import { existsSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { listWorktrees, resolveWorktreeRoot, runGit } from '../../../git/worktrees.js';
import { samePath } from '../../../util/same-path.js';

export class WorktreeRemoveRefused extends Error {
  override readonly name = 'WorktreeRemoveRefused';
  readonly code = 'HOOK_REMOVE_REFUSED';
}

export type RemovalTarget =
  | { readonly kind: 'gone' }
  | { readonly kind: 'linked'; readonly path: string; readonly mainPath: string; readonly branch: string | null };

/** Is `path` a linked worktree we may remove? The main worktree and a folder inside a worktree are refused. */
export async function inspectRemoval(path: string): Promise<RemovalTarget> {
  if (!existsSync(join(path, '.git'))) return { kind: 'gone' };
  const here = await resolveWorktreeRoot(path);
  if (!(await samePath(here.worktreePath, path))) throw new WorktreeRemoveRefused(`${path} is inside the worktree ${here.worktreePath}, not a worktree itself; nothing was removed`);
  const inventory = await listWorktrees(path);
  let entry = null;
  for (const worktree of inventory.worktrees) if (await samePath(worktree.path, path)) entry = worktree;
  if (entry === null) return { kind: 'gone' };
  if (entry.isMain) throw new WorktreeRemoveRefused(`${path} is the main worktree of its repository; it is never removed`);
  return { kind: 'linked', path: entry.path, mainPath: inventory.mainPath, branch: entry.branch };
}

export interface RemovalResult {
  /** The branch deleted, or null. */
  readonly branchDeleted: string | null;
  /** Our branch kept because it has commits found nowhere else. */
  readonly branchKept: string | null;
}

export async function removeClaudeWorktree(target: Extract<RemovalTarget, { kind: 'linked' }>): Promise<RemovalResult> {
  // From the main worktree: git cannot remove the worktree it runs in.
  await runGit(target.mainPath, ['worktree', 'remove', '--force', target.path]);
  const ours = oursBranch(target);
  if (ours === null) return { branchDeleted: null, branchKept: null };
  const deleted = await runGit(target.mainPath, ['branch', '-d', ours], { okExitCodes: [1] });
  return deleted.exitCode === 0 ? { branchDeleted: ours, branchKept: null } : { branchDeleted: null, branchKept: ours };
}

/** `worktree-<name>` for a worktree at `.claude/worktrees/<name>`: the branch our create hook made. */
function oursBranch(target: Extract<RemovalTarget, { kind: 'linked' }>): string | null {
  const name = relative(join(target.mainPath, '.claude', 'worktrees'), target.path).split(sep).join('/');
  if (name === '' || name.startsWith('..')) return null;
  return target.branch === `refs/heads/worktree-${name}` ? `worktree-${name}` : null;
}
