/** Last check before a secret touches a worktree: git must ignore the file (and not track it). */
import { checkIgnored } from '../git/ignore.js';
import { EnvFileError } from '../util/errors.js';
import { join } from 'node:path';
import type { WorktreeLookup } from './apply.js';

export async function assertIgnored(worktreePath: string, relPath: string, knownIgnored = false): Promise<void> {
  // Observed as ignored at the start of this pass: no second git process on the hot path.
  if (knownIgnored) return;
  const status = await checkIgnored(worktreePath, [relPath]);
  if (status.ignored.get(relPath) === true) return;
  const file = join(worktreePath, relPath);
  const why = status.tracked.has(relPath)
    ? 'it is tracked by git'
    : 'git does not ignore it even after adding it to info/exclude (a .gitignore rule such as "!' + relPath + '" re-includes it)';
  throw new EnvFileError(`Refusing to write ${file}: ${why}. Nothing ravi-orchestrator writes may show up in git status.`, { file });
}

/** Whether observe() already saw git ignore this file in this worktree. */
export function knownIgnored(found: WorktreeLookup | undefined, relPath: string): boolean {
  const ignore = found?.observed.ignore;
  return ignore?.ok === true && ignore.value.ignored.get(relPath) === true;
}
