import { cp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkIgnored, ensureExcluded } from '../../src/git/ignore.js';
import { listWorktrees, listWorktreesWithGit, resolveWorktreeRoot } from '../../src/git/worktrees.js';
import type { RepoInventory, Worktree } from '../../src/git/types.js';
import { GitError } from '../../src/util/errors.js';
import { cleanupTempDirs, createRepo, createTempDir, git } from '../support/git-fixtures.js';

afterAll(cleanupTempDirs);

function byPath(inventory: RepoInventory, path: string): Worktree {
  const found = inventory.worktrees.find((w) => w.path === path);
  if (found === undefined) throw new Error(`no worktree at ${path} in ${JSON.stringify(inventory.worktrees)}`);
  return found;
}

async function expectGitError(promise: Promise<unknown>): Promise<GitError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GitError);
  return error as GitError;
}

describe('listWorktrees', () => {
  it('lists the main worktree and linked ones with spaces and non-ASCII names, with their admin ids', async () => {
    const repo = await createRepo({ name: 'my app' });
    const unicode = await repo.addWorktree('feat/ünï cødé x');
    const plain = await repo.addWorktree('plain');

    const inventory = await listWorktrees(repo.path);
    expect(inventory.commonDir).toBe(repo.commonDir);
    expect(inventory.mainPath).toBe(repo.path);
    expect(inventory.repoName).toBe('my app');
    expect(inventory.worktrees).toHaveLength(3);
    expect(inventory.worktrees[0]).toMatchObject({ path: repo.path, isMain: true, adminId: null, branch: 'refs/heads/main' });
    // git turns characters a ref cannot hold into `-` when it names the admin folder.
    expect(byPath(inventory, unicode)).toMatchObject({ isMain: false, adminId: 'ünï-cødé-x', branch: 'refs/heads/feat/ünï-cødé-x' });
    expect(byPath(inventory, plain)).toMatchObject({ adminId: 'plain', locked: false, prunable: false, detached: false });
    expect(byPath(inventory, plain).head).toMatch(/^[0-9a-f]{40}$/);
  });

  it('handles a newline in a worktree path', async () => {
    const repo = await createRepo();
    const odd = await repo.addWorktree('line\nbreak', { branch: 'line-break' });
    const inventory = await listWorktrees(repo.path);
    expect(byPath(inventory, odd).adminId).toBe('line-break');
  });

  it('gives feat/x and fix/x distinct admin ids (x, x1) and keeps them across git worktree move', async () => {
    const repo = await createRepo();
    const featX = await repo.addWorktree('feat/x');
    const fixX = await repo.addWorktree('fix/x');
    let inventory = await listWorktrees(repo.path);
    expect(byPath(inventory, featX).adminId).toBe('x');
    expect(byPath(inventory, fixX).adminId).toBe('x1');

    const moved = join(repo.root, 'elsewhere', 'renamed x');
    await repo.moveWorktree(fixX, moved);
    inventory = await listWorktrees(repo.path);
    expect(inventory.worktrees.map((w) => w.path)).not.toContain(fixX);
    expect(byPath(inventory, moved)).toMatchObject({ adminId: 'x1', branch: 'refs/heads/fix/x' });
  });

  it('reports lock reasons and unlock', async () => {
    const repo = await createRepo();
    const withReason = await repo.addWorktree('a');
    const without = await repo.addWorktree('b');
    await repo.lockWorktree(withReason, 'on a USB disk');
    await repo.lockWorktree(without);
    let inventory = await listWorktrees(repo.path);
    expect(byPath(inventory, withReason)).toMatchObject({ locked: true, lockReason: 'on a USB disk', adminId: 'a' });
    expect(byPath(inventory, without)).toMatchObject({ locked: true, lockReason: '' });

    await repo.unlockWorktree(withReason);
    inventory = await listWorktrees(repo.path);
    expect(byPath(inventory, withReason)).toMatchObject({ locked: false, lockReason: null });
  });

  it('shows an rm -rf worktree as prunable and still resolves its admin id, until prune', async () => {
    const repo = await createRepo();
    const gone = await repo.addWorktree('feat/gone');
    await rm(gone, { recursive: true, force: true });

    let inventory = await listWorktrees(repo.path);
    const entry = byPath(inventory, gone);
    expect(entry).toMatchObject({ prunable: true, adminId: 'gone', branch: 'refs/heads/feat/gone' });
    expect(entry.prunableReason).toMatch(/non-existent/);

    await repo.prune();
    inventory = await listWorktrees(repo.path);
    expect(inventory.worktrees).toHaveLength(1);
  });

  it('hands each of two admin folders naming one path (one copied by hand) to one entry, in id order', async () => {
    const repo = await createRepo();
    const wt = await repo.addWorktree('feat/x');
    await cp(join(repo.commonDir, 'worktrees', 'x'), join(repo.commonDir, 'worktrees', 'x-copy'), { recursive: true });
    const inventory = await listWorktrees(repo.path);
    const linked = inventory.worktrees.filter((w) => !w.isMain);
    expect(linked.map((w) => w.path)).toEqual([wt, wt]);
    expect(linked.map((w) => w.adminId).sort()).toEqual(['x', 'x-copy']);
  });

  it('reports a detached HEAD', async () => {
    const repo = await createRepo();
    const detached = await repo.addWorktree('det', { detach: true });
    const inventory = await listWorktrees(repo.path);
    expect(byPath(inventory, detached)).toMatchObject({ detached: true, branch: null, adminId: 'det' });
    expect(byPath(inventory, detached).head).toBe(await repo.git('rev-parse', 'HEAD'));
  });

  it('gives the same inventory from inside a linked worktree and through a symlinked path', async () => {
    const repo = await createRepo();
    const wt = await repo.addWorktree('feat/inner');
    await mkdir(join(wt, 'sub', 'dir'), { recursive: true });
    const link = join(repo.root, 'link-to-repo');
    await symlink(repo.path, link);

    const fromMain = await listWorktrees(repo.path);
    expect(await listWorktrees(join(wt, 'sub', 'dir'))).toEqual(fromMain);
    expect(await listWorktrees(link)).toEqual(fromMain);
  });

  it('lists a bare repository and its worktrees', async () => {
    const repo = await createRepo({ name: 'server', bare: true });
    const wt = await repo.addWorktree('feat/y');
    const inventory = await listWorktrees(repo.path);
    expect(inventory.commonDir).toBe(repo.path);
    expect(inventory.repoName).toBe('server');
    expect(inventory.worktrees[0]).toMatchObject({ path: repo.path, bare: true, isMain: true, head: null, adminId: null });
    expect(byPath(inventory, wt)).toMatchObject({ adminId: 'y', branch: 'refs/heads/feat/y', bare: false });
  });

  it('names a bare repository kept in a .git folder after its parent folder', async () => {
    const root = await createTempDir('ravi-bare-dot-git-');
    await git(root, 'init', '--bare', '--quiet', join('project', '.git'));
    const inventory = await listWorktrees(join(root, 'project', '.git'));
    expect(inventory).toMatchObject({ repoName: 'project', commonDir: join(root, 'project', '.git') });
    expect(inventory.worktrees).toEqual([expect.objectContaining({ bare: true, isMain: true, adminId: null })]);
  });

  it('says clearly when the path is not a git repository or does not exist', async () => {
    const dir = await createTempDir('ravi-not-a-repo-');
    const error = await expectGitError(listWorktrees(dir));
    expect(error.message).toContain(`${dir} is not a git repository`);
    expect(error.repo).toBe(dir);
    expect(error.command).toMatch(/^git /);

    const missing = join(dir, 'missing');
    expect((await expectGitError(listWorktrees(missing))).message).toContain('does not exist');
  });

  it('says clearly when git is not on PATH', async () => {
    const repo = await createRepo();
    const emptyBin = await createTempDir('ravi-empty-path-');
    const savedPath = process.env['PATH'];
    process.env['PATH'] = emptyBin;
    try {
      // listWorktrees itself needs no git for a plain layout (worktree-list-fs.ts); git's path must say it is missing.
      const error = await expectGitError(listWorktreesWithGit(repo.path));
      expect(error.message).toMatch(/git was not found on PATH/);
      expect(error.repo).toBe(repo.path);
    } finally {
      process.env['PATH'] = savedPath;
    }
  });
});

describe('resolveWorktreeRoot', () => {
  it('finds the worktree containing a subfolder or file, and the common dir', async () => {
    const repo = await createRepo();
    const wt = await repo.addWorktree('feat/ünï root');
    await mkdir(join(wt, 'a', 'b'), { recursive: true });
    await writeFile(join(wt, 'a', 'file.txt'), 'x');

    expect(await resolveWorktreeRoot(join(wt, 'a', 'b'))).toEqual({ worktreePath: wt, commonDir: repo.commonDir });
    expect(await resolveWorktreeRoot(join(wt, 'a', 'file.txt'))).toEqual({ worktreePath: wt, commonDir: repo.commonDir });
    expect(await resolveWorktreeRoot(repo.path)).toEqual({ worktreePath: repo.path, commonDir: repo.commonDir });
  });

  it('throws GitError outside a repository', async () => {
    const dir = await createTempDir('ravi-not-a-repo-');
    expect((await expectGitError(resolveWorktreeRoot(dir))).message).toContain('not a git repository');
  });
});

describe('checkIgnored', () => {
  it('tells ignored, untracked-not-ignored and tracked paths apart', async () => {
    const repo = await createRepo();
    await repo.commitFile('.gitignore', '*.log\n!keep.log\nsecrets/\n');
    await repo.commitFile('config.env', 'A=1\n');
    await writeFile(join(repo.path, 'forced.log'), 'x');
    await repo.git('add', '-f', 'forced.log');
    const wt = await repo.addWorktree('feat/ign');

    const paths = ['debug.log', 'keep.log', '.env', 'config.env', 'forced.log', 'secrets/a.json', 'new dir/ünï *.txt'];
    const status = await checkIgnored(repo.path, paths);
    expect(Object.fromEntries(status.ignored)).toEqual({
      'debug.log': true,
      'keep.log': false, // negated pattern
      '.env': false,
      'config.env': false,
      'forced.log': false, // tracked files are never "ignored"
      'secrets/a.json': true,
      'new dir/ünï *.txt': false,
    });
    expect([...status.tracked].sort()).toEqual(['config.env', 'forced.log']);

    // A linked worktree has its own index: forced.log was only staged in the main one.
    const inWorktree = await checkIgnored(wt, ['config.env', 'forced.log', 'debug.log']);
    expect([...inWorktree.tracked]).toEqual(['config.env']);
    expect(inWorktree.ignored.get('forced.log')).toBe(true);
  });

  it('returns empty results for no paths and counts a folder with tracked files as tracked', async () => {
    const repo = await createRepo();
    expect(await checkIgnored(repo.path, [])).toEqual({ ignored: new Map(), tracked: new Set() });
    await repo.commitFile('.ravi/README.md', 'hello\n');
    const status = await checkIgnored(repo.path, ['.ravi/', '.ravi/config.json']);
    expect([...status.tracked]).toEqual(['.ravi/']);
    expect(status.ignored.get('.ravi/config.json')).toBe(false);
  });
});

describe('ensureExcluded', () => {
  it('appends only missing patterns, preserves existing bytes, and is idempotent', async () => {
    const repo = await createRepo();
    const file = join(repo.commonDir, 'info', 'exclude');
    const original = '# my own rules\r\n*.swp\n/.env'; // no final newline, a CRLF line, and /.env already there
    await writeFile(file, original);

    expect(await ensureExcluded(repo.commonDir, ['/.env', '/.ravi/'])).toBe(true);
    const after = await readFile(file, 'utf8');
    expect(after).toBe(`${original}\n# added by ravi-orchestrator\n/.ravi/\n`);

    expect(await ensureExcluded(repo.commonDir, ['/.env', '/.ravi/'])).toBe(false);
    expect(await readFile(file, 'utf8')).toBe(after);
  });

  it('creates info/exclude when missing and copes with concurrent callers', async () => {
    const repo = await createRepo();
    await rm(join(repo.commonDir, 'info'), { recursive: true, force: true });
    const results = await Promise.all([
      ensureExcluded(repo.commonDir, ['/.env', '/.ravi/']),
      ensureExcluded(repo.commonDir, ['/.ravi/', '/.env']),
    ]);
    expect(results).toContain(true);
    const lines = (await readFile(join(repo.commonDir, 'info', 'exclude'), 'utf8')).split('\n');
    expect(lines).toContain('/.env');
    expect(lines).toContain('/.ravi/');
    expect(await ensureExcluded(repo.commonDir, ['/.env', '/.ravi/'])).toBe(false);
  });

  it('hides .env and .ravi/ in every linked worktree from git status', async () => {
    const repo = await createRepo();
    const wt = await repo.addWorktree('feat/env');
    await writeFile(join(wt, '.env'), 'SECRET=1\n');
    await mkdir(join(wt, '.ravi'));
    await writeFile(join(wt, '.ravi', 'config.json'), '{}\n');
    const before = await repo.git('-C', wt, 'status', '--porcelain', '--untracked-files=all');
    expect(before).toContain('.env');

    expect(await ensureExcluded(repo.commonDir, ['/.env', '/.ravi/'])).toBe(true);
    expect(await repo.git('-C', wt, 'status', '--porcelain', '--untracked-files=all')).toBe('');
    const status = await checkIgnored(wt, ['.env', '.ravi/config.json']);
    expect(Object.fromEntries(status.ignored)).toEqual({ '.env': true, '.ravi/config.json': true });
    expect(status.tracked.size).toBe(0);
  });

  it('rejects a pattern spanning lines', async () => {
    const repo = await createRepo();
    await expect(ensureExcluded(repo.commonDir, ['/.env\n!x'])).rejects.toThrow(/single line/);
  });
});
