/**
 * A one-shot pass reads a linked worktree's `.git` once (SharedLooks.readPlain): the listing's "is it there" and
 * the ignore proof's read of it share one open. Whatever stands at `.git`, the pass's answers must be the ones
 * each reader gives alone (and the listing git's), and a FIFO there must never block.
 */
import { execFileSync } from 'node:child_process';
import { readFile, rm, symlink, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeIgnore, type IgnoreAnalysis } from '../../src/git/ignore-fast-path.js';
import { listWorktreesInProcess } from '../../src/git/worktree-list-fs.js';
import { listWorktreesWithGit } from '../../src/git/worktrees.js';
import { singlePass } from '../../src/files/recorded-reads.js';
import { SharedLooks } from '../../src/files/shared-looks.js';
import { cleanupTempDirs, createRepo } from '../support/git-fixtures.js';

afterAll(cleanupTempDirs);

const PATHS = ['.env', '.ravi/config.json'];
const answer = (analysis: IgnoreAnalysis) => ({ ignored: [...analysis.ignored].sort(), untracked: [...analysis.untrackedNotExcluded].sort() });

/** One pass's looks: the listing first, then the ignore proof of `worktree`; each compared with its answer alone. */
async function passOver(repoPath: string, worktree: string): Promise<SharedLooks> {
  const looks = new SharedLooks();
  const listed = await listWorktreesInProcess(repoPath, { looks });
  expect(listed).toEqual(await listWorktreesInProcess(repoPath));
  if (listed !== null) {
    const byGit = await listWorktreesWithGit(repoPath);
    expect(listed.worktrees.map((w) => w.path)).toEqual(byGit.worktrees.map((w) => w.path));
  }
  expect(answer(await analyzeIgnore(worktree, PATHS, singlePass({ looks })))).toEqual(answer(await analyzeIgnore(worktree, PATHS)));
  return looks;
}

describe("a linked worktree's .git, read once by a one-shot pass", () => {
  it('a plain .git file: its bytes are kept for the ignore proof, which proves as it does alone', async () => {
    const repo = await createRepo();
    await writeFile(join(repo.commonDir, 'info', 'exclude'), '/.env\n/.ravi/\n');
    const worktree = await repo.addWorktree('plain');
    const looks = await passOver(repo.path, worktree);
    const dotGit = join(worktree, '.git');
    expect(looks.plainBytes(dotGit)?.equals(await readFile(dotGit))).toBe(true);
    expect(looks.stats('lstat', dotGit)?.isFile()).toBe(true);
    expect(answer(await analyzeIgnore(worktree, PATHS, singlePass({ looks })))).toEqual({ ignored: PATHS, untracked: [] });
  });

  it('a symlinked .git: nothing kept, its look is the link, and both readers decline as alone', async () => {
    const repo = await createRepo();
    await writeFile(join(repo.commonDir, 'info', 'exclude'), '/.env\n/.ravi/\n');
    const worktree = await repo.addWorktree('linked');
    const dotGit = join(worktree, '.git');
    await writeFile(join(repo.root, 'dot-git-target'), await readFile(dotGit));
    await rm(dotGit);
    await symlink(join(repo.root, 'dot-git-target'), dotGit);
    const looks = await passOver(repo.path, worktree);
    expect(looks.plainBytes(dotGit)).toBeUndefined();
    expect(looks.stats('lstat', dotGit)?.isSymbolicLink()).toBe(true);
  });

  it('a FIFO or a folder at .git: never read, never blocks', async () => {
    const repo = await createRepo();
    await writeFile(join(repo.commonDir, 'info', 'exclude'), '/.env\n/.ravi/\n');
    const fifo = await repo.addWorktree('fifo');
    await rm(join(fifo, '.git'));
    execFileSync('mkfifo', [join(fifo, '.git')]);
    const looks = await passOver(repo.path, fifo);
    expect(looks.plainBytes(join(fifo, '.git'))).toBeUndefined();
    expect(looks.stats('lstat', join(fifo, '.git'))?.isFIFO()).toBe(true);

    const folder = await repo.addWorktree('folder');
    await rm(join(folder, '.git'));
    await mkdir(join(folder, '.git'));
    const again = await passOver(repo.path, folder);
    expect(again.plainBytes(join(folder, '.git'))).toBeUndefined();
    expect(again.stats('lstat', join(folder, '.git'))?.isDirectory()).toBe(true);
  });

  it('a .git gone: absent for both', async () => {
    const repo = await createRepo();
    const worktree = await repo.addWorktree('gone');
    await repo.addWorktree('kept');
    await rm(join(worktree, '.git'));
    const looks = new SharedLooks();
    await listWorktreesInProcess(repo.path, { looks }); // prunable: declined (git words the reason)
    expect(looks.stats('lstat', join(worktree, '.git'))).toBeNull();
    expect(answer(await analyzeIgnore(worktree, PATHS, singlePass({ looks })))).toEqual(answer(await analyzeIgnore(worktree, PATHS)));
  });
});
