/** Which worktrees own an identity: not the main worktree, not bare, not prunable, and include/exclude. Pure. */
import { createRequire } from 'node:module';
import type { Config } from '../config/types.js';
import type { Worktree } from '../git/types.js';
import { shortBranch } from './templates.js';

export type WorktreeSelector = (worktree: Worktree) => string | null;

/** Returns a function giving null for a managed worktree, else the reason it is not managed. */
export function createWorktreeSelector(config: Pick<Config, 'include' | 'exclude'>): WorktreeSelector {
  const include = config.include.length > 0 ? matcher(config.include) : null;
  const exclude = config.exclude.length > 0 ? matcher(config.exclude) : null;
  return (worktree) => {
    if (worktree.isMain) return 'the main worktree';
    if (worktree.bare) return 'a bare repository';
    if (worktree.adminId === null) return 'git has no admin folder for it';
    if (worktree.prunable) return `its folder is gone (git: ${worktree.prunableReason ?? 'prunable'})`;
    const subjects = [worktree.path, shortBranch(worktree.branch)].filter((s) => s !== '');
    if (include !== null && !subjects.some((s) => include(s))) return 'not matched by include';
    if (exclude !== null && subjects.some((s) => exclude(s))) return 'excluded by config';
    return null;
  };
}

/** picomatch (CommonJS) loads only for a config with patterns: most have none, and it costs ~10 ms of start-up. */
function matcher(globs: readonly string[]): (subject: string) => boolean {
  const picomatch = createRequire(import.meta.url)('picomatch') as typeof import('picomatch');
  return picomatch([...globs], { dot: true });
}
