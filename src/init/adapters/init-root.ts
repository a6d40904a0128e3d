/** Where `init` writes: the main worktree, where tools and new worktrees' checkouts look; a bare main has none. */
import { resolve } from 'node:path';
import { listWorktrees, resolveWorktreeRoot } from '../../git/worktrees.js';

export async function findInitRoot(cwd: string, worktree: string | null): Promise<{ root: string; commonDir: string }> {
  const here = await resolveWorktreeRoot(worktree === null ? cwd : resolve(cwd, worktree));
  const main = (await listWorktrees(here.worktreePath)).worktrees.find((w) => w.isMain);
  const root = main !== undefined && !main.bare ? main.path : here.worktreePath;
  return { root, commonDir: here.commonDir };
}
