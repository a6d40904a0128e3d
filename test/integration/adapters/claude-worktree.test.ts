/** The Claude hooks' git work, in-process on real repos: placement, branches, .worktreeinclude, removal guards. */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createClaudeWorktree } from '../../../src/init/adapters/claude/create-worktree.js';
import { inspectRemoval, removeClaudeWorktree, WorktreeRemoveRefused } from '../../../src/init/adapters/claude/remove-worktree.js';
import { copyWorktreeInclude } from '../../../src/init/adapters/claude/worktree-include.js';
import { cleanupTempDirs, createRepo } from '../../support/git-fixtures.js';

afterAll(cleanupTempDirs);

describe('the WorktreeCreate hook\'s worktree', () => {
  it('goes under the main worktree\'s .claude/worktrees even from a linked session, branched from that session\'s HEAD', async () => {
    const repo = await createRepo();
    const session = await repo.addWorktree('feature');
    await repo.commitFile('feature.txt', 'x\n', { worktree: session });
    const made = await createClaudeWorktree('agent-1', session);
    expect(made).toMatchObject({ path: join(repo.path, '.claude', 'worktrees', 'agent-1'), branch: 'worktree-agent-1', created: true, source: session });
    expect(existsSync(join(made.path, 'feature.txt'))).toBe(true);
    expect(await repo.git('status', '--porcelain', '--untracked-files=all')).toBe('');
    // Asked again (a resumed session): the same worktree, nothing created.
    expect(await createClaudeWorktree('agent-1', repo.path)).toMatchObject({ path: made.path, created: false });
  });

  it('checks out an existing worktree-<name> branch instead of failing on it', async () => {
    const repo = await createRepo();
    await repo.git('branch', 'worktree-resume');
    const made = await createClaudeWorktree('resume', repo.path);
    expect(await repo.git('-C', made.path, 'branch', '--show-current')).toBe('worktree-resume');
  });

  it('copies what .worktreeinclude lists and git ignores (files and whole folders), never tracked files, never over a file', async () => {
    const repo = await createRepo();
    await repo.commitFile('.gitignore', '.env*\n!.env.example\nnode_modules/\nbuild/\n');
    await repo.commitFile('.env.example', 'TRACKED=1\n');
    await repo.commitFile('.worktreeinclude', '.env*\nnode_modules/\n');
    await writeFile(join(repo.path, '.env'), 'KEY=main\n');
    await writeFile(join(repo.path, '.env.local'), 'LOCAL=1\n');
    await mkdir(join(repo.path, 'node_modules', 'pkg'), { recursive: true });
    await writeFile(join(repo.path, 'node_modules', 'pkg', 'index.js'), 'module.exports = 1;\n');
    await mkdir(join(repo.path, 'build'));
    await writeFile(join(repo.path, 'build', 'out.js'), 'not listed\n');
    const made = await createClaudeWorktree('inc', repo.path);
    await writeFile(join(made.path, '.env.local'), 'ALREADY=here\n');
    const copied = await copyWorktreeInclude(made.source, made.path);
    expect(copied.sort()).toEqual(['.env', 'node_modules/']);
    expect(await readFile(join(made.path, '.env'), 'utf8')).toBe('KEY=main\n');
    expect(await readFile(join(made.path, '.env.local'), 'utf8')).toBe('ALREADY=here\n');
    expect(existsSync(join(made.path, 'node_modules', 'pkg', 'index.js'))).toBe(true);
    expect(existsSync(join(made.path, 'build'))).toBe(false);
    expect(await repo.git('-C', made.path, 'status', '--porcelain')).toBe('');
  });
});

describe('the WorktreeRemove hook\'s guards', () => {
  it('never removes the main worktree nor a folder inside a worktree; a path without a worktree is "gone"', async () => {
    const repo = await createRepo();
    await expect(inspectRemoval(repo.path)).rejects.toBeInstanceOf(WorktreeRemoveRefused);
    const made = await createClaudeWorktree('guard', repo.path);
    await mkdir(join(made.path, 'src'));
    expect(await inspectRemoval(join(made.path, 'src'))).toEqual({ kind: 'gone' }); // no .git there: nothing removed
    expect(await inspectRemoval(join(repo.root, 'nowhere'))).toEqual({ kind: 'gone' });
    // A folder left behind that git no longer lists (a skeleton) is gone too.
    await mkdir(join(repo.root, 'skeleton'));
    expect(await inspectRemoval(join(repo.root, 'skeleton'))).toEqual({ kind: 'gone' });

    const target = await inspectRemoval(made.path);
    expect(target.kind).toBe('linked');
    if (target.kind !== 'linked') return;
    expect(await removeClaudeWorktree(target)).toEqual({ branchDeleted: 'worktree-guard', branchKept: null });
    expect(existsSync(made.path)).toBe(false);
  });

  it('removes a worktree it did not create without touching any branch', async () => {
    const repo = await createRepo();
    const other = await repo.addWorktree('mine');
    const target = await inspectRemoval(other);
    if (target.kind !== 'linked') throw new Error('expected a linked worktree');
    expect(await removeClaudeWorktree(target)).toEqual({ branchDeleted: null, branchKept: null });
    expect(await repo.git('branch', '--list', 'mine')).toContain('mine');
  });
});
