/**
 * A rewrite of a file in a worktree puts a temp file next to it for a moment (atomic-write.ts), and a kill at that
 * moment leaves it there, secret and all. Before that can happen, git must ignore such names in this worktree,
 * or an agent's `git add -A` would commit it and `git worktree remove` would refuse to remove the worktree.
 */
import { join } from 'node:path';
import { checkIgnored, ensureExcluded } from '../git/ignore.js';
import { TEMP_FILES_EXCLUDE, tempFileExample } from '../files/temp-files.js';
import { EnvFileError } from '../util/errors.js';

/** `relPath` is the file about to be rewritten, relative to `worktreePath`. */
export async function assertTempFilesIgnored(commonDir: string, worktreePath: string, relPath: string): Promise<void> {
  await ensureExcluded(commonDir, [TEMP_FILES_EXCLUDE]); // one read when the line is there already
  const probe = tempFileExample(relPath);
  // In the steady state this is proven from files alone (ignore-fast-path.ts): no git process.
  const status = await checkIgnored(worktreePath, [probe]);
  if (status.ignored.get(probe) === true) return;
  throw tempFileNotIgnored(commonDir, worktreePath, relPath, probe);
}

export function tempFileNotIgnored(commonDir: string, worktreePath: string, relPath: string, probe: string): EnvFileError {
  const file = join(worktreePath, relPath);
  return new EnvFileError(
    `Refusing to write ${file}: git would not ignore its temp file (${probe}) although ${join(commonDir, 'info', 'exclude')} ` +
      `lists ${TEMP_FILES_EXCLUDE}; a .gitignore rule re-includes it. Nothing ravi-orchestrator writes may show up in git status.`,
    { file },
  );
}
