/**
 * readNamedWorktrees (src/git/worktree-entries.ts) gives, for each named admin id, exactly the entry the full
 * listing gives (`git worktree list --porcelain -z` through listWorktreesWithGit, and the in-process listing),
 * with the same common dir, main path and repo name: so a focused pass keys a worktree as the full pass does.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanupTempDirs, createRepo } from '../support/git-fixtures.js';
import { readNamedWorktrees } from '../../src/git/worktree-entries.js';
import { listWorktrees, listWorktreesWithGit } from '../../src/git/worktrees.js';

afterAll(cleanupTempDirs);

describe('readNamedWorktrees', () => {
  it('reads each named entry as git lists it: branch, detached, packed ref, nested path, another folder', async () => {
    const repo = await createRepo({ name: 'entries' });
    await repo.addWorktree('feat/nested');
    await repo.addWorktree('detached', { detach: true });
    await repo.addWorktree('packed');
    await repo.addWorktree('away', { path: join('elsewhere', 'away'), branch: 'away-branch' });
    await repo.git('pack-refs', '--all'); // the branches now live in packed-refs only
    const ids = ['nested', 'detached', 'packed', 'away'];
    const named = await readNamedWorktrees(repo.path, ids);
    const byGit = await listWorktreesWithGit(repo.path);
    const inProcess = await listWorktrees(repo.path);
    expect(named?.skipped.size).toBe(0);
    for (const full of [byGit, inProcess]) {
      expect(named?.inventory.commonDir).toBe(full.commonDir);
      expect(named?.inventory.mainPath).toBe(full.mainPath);
      expect(named?.inventory.repoName).toBe(full.repoName);
      const wanted = full.worktrees.filter((w) => w.adminId !== null && ids.includes(w.adminId));
      const sorted = [...(named?.inventory.worktrees ?? [])].sort((a, b) => (a.adminId as string).localeCompare(b.adminId as string));
      expect(sorted).toEqual([...wanted].sort((a, b) => (a.adminId as string).localeCompare(b.adminId as string)));
    }
  });

  it('reads from any worktree of the repo, and leaves out what is locked, half-made, gone, a file or no admin id', async () => {
    const repo = await createRepo({ name: 'odd' });
    const plain = await repo.addWorktree('plain');
    const locked = await repo.addWorktree('locked');
    await repo.lockWorktree(locked);
    await mkdir(join(repo.commonDir, 'worktrees', 'half'));
    await writeFile(join(repo.commonDir, 'worktrees', 'a-file'), '');
    const named = await readNamedWorktrees(plain, ['plain', 'locked', 'half', 'gone', 'a-file', '../plain', '..']);
    expect(named?.inventory.worktrees.map((w) => w.path)).toEqual([plain]);
    expect(Object.fromEntries(named?.skipped ?? [])).toEqual({
      locked: 'locked',
      half: 'half-made',
      gone: 'gone',
      'a-file': 'gone',
      '../plain': 'not an admin id',
      '..': 'not an admin id',
    });
  });

  it('declines a folder outside any repository', async () => {
    const repo = await createRepo({ name: 'outside' });
    expect(await readNamedWorktrees(join(repo.root, 'nowhere'), ['x'])).toBeNull();
  });
});
