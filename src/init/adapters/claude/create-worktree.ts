/**
 * What Claude Code does itself when no WorktreeCreate hook is set, done by our hook instead: a worktree at
 * `<repo>/.claude/worktrees/<name>` on a new branch `worktree-<name>` from the session's HEAD
 * (https://code.claude.com/docs/en/worktrees). The folder is the main worktree's, also when the session runs in a
 * linked one, so agents' worktrees sit side by side instead of nesting. Re-running with the same name finds the
 * worktree made before. `.claude/worktrees/` goes into info/exclude so the main checkout's `git status` stays clean.
 */
import { join } from 'node:path';
import { ensureExcluded } from '../../../git/ignore.js';
import { listWorktrees, resolveWorktreeRoot, runGit } from '../../../git/worktrees.js';
import { samePath } from '../../../util/same-path.js';
import { CLAUDE_WORKTREES_EXCLUDE } from '../claude.js';

export interface ClaudeWorktree {
  readonly path: string;
  readonly branch: string;
  /** False when the worktree already existed (a resumed session). */
  readonly created: boolean;
  /** The checkout the session ran in: where `.worktreeinclude` files are copied from. */
  readonly source: string;
}

export async function createClaudeWorktree(name: string, start: string): Promise<ClaudeWorktree> {
  const here = await resolveWorktreeRoot(start);
  const inventory = await listWorktrees(here.worktreePath);
  const main = inventory.worktrees.find((w) => w.isMain && !w.bare)?.path ?? here.worktreePath;
  const path = join(main, '.claude', 'worktrees', name);
  const branch = `worktree-${name}`;
  for (const worktree of inventory.worktrees) {
    if (await samePath(worktree.path, path)) return { path, branch, created: false, source: here.worktreePath };
  }
  await ensureExcluded(here.commonDir, [CLAUDE_WORKTREES_EXCLUDE]);
  const exists = (await runGit(here.worktreePath, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], { okExitCodes: [1] })).exitCode === 0;
  await runGit(here.worktreePath, exists ? ['worktree', 'add', path, branch] : ['worktree', 'add', '-b', branch, path, 'HEAD']);
  return { path, branch, created: true, source: here.worktreePath };
}
