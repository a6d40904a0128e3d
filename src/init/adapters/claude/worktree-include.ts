/**
 * `.worktreeinclude`: Claude Code copies the git-ignored files it lists into each worktree it creates, but not
 * when a WorktreeCreate hook replaces it (https://code.claude.com/docs/en/worktrees#copy-gitignored-files-into-worktrees:
 * ".gitignore syntax; only files that match a pattern and are also gitignored are copied"). Our hook keeps that
 * promise: git lists what matches (ls-files with the file as its exclude list) and what is ignored
 * (check-ignore), and each such path missing in the new worktree is copied; nothing there is overwritten.
 */
import { cp, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { runGit } from '../../../git/worktrees.js';

const INCLUDE_FILE = '.worktreeinclude';

/** Copies from `source` into `target`; returns the paths copied (a folder as `dir/`). */
export async function copyWorktreeInclude(source: string, target: string): Promise<string[]> {
  if (!(await isFile(join(source, INCLUDE_FILE)))) return [];
  // Untracked paths matching the include patterns; --directory keeps a matched folder (node_modules/) whole.
  const listed = await runGit(source, ['ls-files', '-z', '--others', '--ignored', '--directory', `--exclude-from=${join(source, INCLUDE_FILE)}`]);
  const matched = listed.stdout.split('\0').filter((p) => p !== '');
  if (matched.length === 0) return [];
  const ignored = await runGit(source, ['check-ignore', '-z', '--stdin'], { input: `${matched.join('\0')}\0`, okExitCodes: [1] });
  const ignoredSet = new Set(ignored.stdout.split('\0').filter((p) => p !== ''));
  const copied: string[] = [];
  for (const path of matched.filter((p) => ignoredSet.has(p))) {
    const to = join(target, path);
    if (await exists(to)) continue;
    await cp(join(source, path), to, { recursive: true, errorOnExist: false, force: false, preserveTimestamps: true });
    copied.push(path);
  }
  return copied;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
