/**
 * The in-process worktree listing (worktree-list-fs.ts) against real `git worktree list --porcelain -z` over
 * real layouts: where it answers, its answer must be git's, field for field and in git's order; where it
 * cannot be sure it must say so (null), and listWorktrees must then give git's answer anyway.
 */
import { lstatSync } from 'node:fs';
import { mkdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { listWorktrees, listWorktreesWithGit, runGit } from '../../src/git/worktrees.js';
import { ListingMemory, listWorktreesInProcess } from '../../src/git/worktree-list-fs.js';
import { parseWorktreePorcelainZ } from '../../src/git/porcelain.js';
import { SharedLooks } from '../../src/files/shared-looks.js';
import { PassMemory } from '../../src/reconcile/pass-memory.js';
import { cleanupTempDirs, createRepo, createTempDir, git } from '../support/git-fixtures.js';

afterAll(cleanupTempDirs);

/**
 * Lists from `from` both ways; `inProcess: false` when the in-process listing must decline. With `memory`, the
 * in-process listing re-checks (and keeps) the answers of the last one.
 */
async function expectSameAsGit(from: string, options: { inProcess?: boolean; now?: () => number; memory?: ListingMemory } = {}): Promise<void> {
  // With `now`, only the in-process listing at that clock runs.
  const listed = await listWorktreesInProcess(from, { now: options.now, memory: options.memory });
  const { stdout } = await runGit(from, ['worktree', 'list', '--porcelain', '-z']);
  const withGit = await listWorktreesWithGit(from);
  if (options.now !== undefined) {
    expect(listed?.worktrees.map(({ adminId: _id, ...fields }) => fields) ?? null).toEqual(options.inProcess === false ? null : parseWorktreePorcelainZ(stdout));
    return;
  }
  if (options.inProcess === false) {
    expect(listed).toBeNull();
  } else {
    expect(listed).not.toBeNull();
    expect(listed?.worktrees.map(({ adminId: _id, ...fields }) => fields)).toEqual(parseWorktreePorcelainZ(stdout));
    expect(listed?.worktrees.map((w) => w.adminId)).toEqual(withGit.worktrees.map((w) => w.adminId));
    expect(listed?.commonDir).toBe(withGit.commonDir);
  }
  expect(await listWorktrees(from)).toEqual(withGit);
}

describe('the in-process worktree listing equals git worktree list --porcelain -z', () => {
  it('plain worktrees: branches with slashes, spaces, non-ASCII and a newline, sorted as git sorts them', async () => {
    const repo = await createRepo({ name: 'my app' });
    for (const name of ['zeta', 'feat/x', 'fix/x', 'feat/ünï cødé', 'line\nbreak', 'alpha', 'feat/deep/er/one', 'Z-upper-after']) {
      await repo.addWorktree(name);
    }
    await repo.addWorktree('wide', { branch: 'wide\u3000' }); // a branch ending in a non-ASCII space (not trimmed by git)
    await expectSameAsGit(repo.path);
    const [, first] = (await listWorktreesWithGit(repo.path)).worktrees;
    await expectSameAsGit(first?.path as string); // from a linked worktree
    await mkdir(join(repo.path, 'sub', 'folder'), { recursive: true });
    await expectSameAsGit(join(repo.path, 'sub', 'folder')); // from a folder inside the main one
  });

  it('detached, locked (with and without a reason), moved, and a locked one whose folder is gone', async () => {
    const repo = await createRepo();
    await repo.addWorktree('detached', { detach: true });
    const locked = await repo.addWorktree('locked');
    const reasoned = await repo.addWorktree('reasoned');
    const moved = await repo.addWorktree('to-move');
    const gone = await repo.addWorktree('gone');
    await repo.lockWorktree(locked);
    await repo.lockWorktree(reasoned, '  on a USB disk:\n  unplugged\t ');
    await repo.moveWorktree(moved, join(repo.root, 'elsewhere', 'moved here'));
    await repo.lockWorktree(gone, 'unmounted');
    await rm(gone, { recursive: true, force: true });
    await repo.commitFile('more.txt', 'x', { worktree: reasoned });
    await expectSameAsGit(repo.path);
  });

  it('packed refs, a symbolic ref chain, and an unborn branch', async () => {
    const repo = await createRepo();
    const packed = await repo.addWorktree('packed/one');
    const chained = await repo.addWorktree('chained');
    const unborn = await repo.addWorktree('unborn');
    await repo.git('pack-refs', '--all');
    await repo.commitFile('loose.txt', 'x', { worktree: chained }); // refs/heads/chained loose again
    await repo.git('symbolic-ref', 'refs/heads/alias', 'refs/heads/packed/one');
    await git(chained, 'symbolic-ref', 'HEAD', 'refs/heads/alias');
    await git(unborn, 'symbolic-ref', 'HEAD', 'refs/heads/not-yet');
    expect(await readFile(join(repo.commonDir, 'packed-refs'), 'utf8')).toContain('refs/heads/packed/one');
    void packed;
    await expectSameAsGit(repo.path);
  });

  it('a bare main repository: in-process from a linked worktree, git from the bare folder itself', async () => {
    const repo = await createRepo({ name: 'app', bare: true });
    const linked = await repo.addWorktree('feat/a');
    await repo.addWorktree('b');
    await expectSameAsGit(linked);
    await expectSameAsGit(repo.path, { inProcess: false });
  });

  it('skips what git skips: an admin folder with no or an empty gitdir, a file among the admin folders', async () => {
    const repo = await createRepo();
    await repo.addWorktree('kept');
    await mkdir(join(repo.commonDir, 'worktrees', 'half-made'));
    await mkdir(join(repo.commonDir, 'worktrees', 'empty-gitdir'));
    await writeFile(join(repo.commonDir, 'worktrees', 'empty-gitdir', 'gitdir'), '');
    await writeFile(join(repo.commonDir, 'worktrees', 'stray-file'), 'x');
    await expectSameAsGit(repo.path);
  });
});

describe('answers kept from the last listing', () => {
  it('are re-checked: each change between two listings shows, as git shows it', async () => {
    // An hour ahead: no file counts as just written, so every answer is kept and only its re-check can catch a change.
    const later = { now: () => Date.now() + 3_600_000, memory: new ListingMemory() };
    const repo = await createRepo();
    const a = await repo.addWorktree('feat/a');
    const b = await repo.addWorktree('b');
    const c = await repo.addWorktree('c');
    await expectSameAsGit(repo.path, later);
    await expectSameAsGit(repo.path, later); // all kept
    const steps: Array<() => Promise<unknown>> = [
      () => repo.commitFile('one.txt', '1', { worktree: a }), // a loose ref moves
      () => repo.lockWorktree(b, 'why'),
      () => repo.unlockWorktree(b),
      () => git(c, 'checkout', '--quiet', '--detach'),
      () => git(c, 'checkout', '--quiet', '-b', 'c-again'),
      () => repo.git('pack-refs', '--all'),
      () => repo.commitFile('two.txt', '2', { worktree: a }), // loose again, over the packed one
      () => repo.moveWorktree(b, join(repo.root, 'moved', 'b')),
      () => repo.addWorktree('d'),
      () => repo.removeWorktree(c),
      () => repo.commitFile('three.txt', '3'), // the main worktree's branch
      () => git(repo.path, 'checkout', '--quiet', '--detach'),
    ];
    for (const step of steps) {
      await step();
      await expectSameAsGit(repo.path, later);
    }
    await rm(join(repo.root, 'moved', 'b'), { recursive: true, force: true }); // prunable now: git must answer
    await expectSameAsGit(repo.path, { ...later, inProcess: false });
  });
});

describe('a one-shot listing and the daemon\'s', () => {
  const later = () => Date.now() + 3_600_000; // no file counts as just written
  const stampOf = (stats: { dev: number; ino: number; mode: number; uid: number; size: number; mtimeMs: number; ctimeMs: number } | null | undefined) =>
    stats == null ? null : { dev: stats.dev, ino: stats.ino, mode: stats.mode, uid: stats.uid, size: stats.size, mtimeMs: stats.mtimeMs, ctimeMs: stats.ctimeMs };

  it('one-shot (no memory): git\'s answer, nothing kept, and the looks it leaves for the pass are what lstat sees', async () => {
    const repo = await createRepo();
    const plain = await repo.addWorktree('plain');
    const locked = await repo.addWorktree('locked');
    await repo.lockWorktree(locked, 'why');
    const looks = new SharedLooks();
    const first = await listWorktreesInProcess(repo.path, { now: later, looks });
    const { stdout } = await runGit(repo.path, ['worktree', 'list', '--porcelain', '-z']);
    expect(first?.worktrees.map(({ adminId: _id, ...fields }) => fields)).toEqual(parseWorktreePorcelainZ(stdout));
    // The ignore check of the same pass looks at these again: the listing's looks must be lstat's, field for field.
    const admin = join(repo.commonDir, 'worktrees');
    for (const path of [join(plain, '.git'), join(admin, 'plain', 'HEAD'), join(admin, 'plain', 'gitdir'), join(admin, 'locked', 'locked'), join(admin, 'plain', 'locked')]) {
      expect({ path, seen: stampOf(looks.stats('lstat', path)) }).toEqual({ path, seen: stampOf(lstatSync(path, { throwIfNoEntry: false })) });
    }
    const second = await listWorktreesInProcess(repo.path, { now: later });
    expect(second).toEqual(first);
    expect(second?.worktrees[1]).not.toBe(first?.worktrees[1]); // read again: a one-shot listing keeps nothing
  });

  it('leaves no look for a symlinked HEAD (a look by lstat then sees the link) and declines', async () => {
    const repo = await createRepo();
    await repo.addWorktree('odd');
    const head = join(repo.commonDir, 'worktrees', 'odd', 'HEAD');
    await writeFile(join(repo.root, 'head-target'), await readFile(head));
    await rm(head);
    await symlink(join(repo.root, 'head-target'), head);
    const looks = new SharedLooks();
    expect(await listWorktreesInProcess(repo.path, { looks })).toBeNull();
    expect(looks.stats('lstat', head)?.isSymbolicLink()).toBe(true);
  });

  it('kept in PassMemory: a pass re-checks the last answers and reuses them; a new memory (a new process) reads afresh', async () => {
    const repo = await createRepo();
    const a = await repo.addWorktree('a');
    await repo.addWorktree('b');
    const memory = new PassMemory({ now: later });
    const list = (m: PassMemory) => listWorktreesInProcess(repo.path, m.begin([repo.path]).listing);
    const first = await list(memory);
    const second = await list(memory);
    expect(second?.worktrees[1]).toBe(first?.worktrees[1]);
    expect(second?.worktrees[2]).toBe(first?.worktrees[2]);
    expect((await list(new PassMemory({ now: later })))?.worktrees[1]).not.toBe(first?.worktrees[1]);
    await repo.commitFile('x.txt', 'x', { worktree: a }); // a's branch moves: its answer is read again, b's kept
    const third = await list(memory);
    expect(third?.worktrees[1]).not.toBe(first?.worktrees[1]);
    expect(third?.worktrees[1]?.head).not.toBe(first?.worktrees[1]?.head);
    expect(third?.worktrees[2]).toBe(first?.worktrees[2]);
    await expectSameAsGit(repo.path);
  });

  it('keeps no answer that rests on a file changed within the racy window (a same-size rewrite in one clock tick would look unchanged)', async () => {
    const repo = await createRepo();
    const fresh = await repo.addWorktree('fresh');
    const memory = new ListingMemory();
    const head = join(repo.commonDir, 'worktrees', 'fresh', 'HEAD');
    await writeFile(head, await readFile(head)); // changed just now, by the real clock
    const first = await listWorktreesInProcess(repo.path, { memory });
    const second = await listWorktreesInProcess(repo.path, { memory });
    expect(second?.worktrees[1]?.path).toBe(fresh);
    expect(second?.worktrees[1]).not.toBe(first?.worktrees[1]);
    expect(memory.last(repo.commonDir)?.has('fresh')).toBe(false);
  });
});

describe('the in-process listing declines (and git answers) when it cannot be sure', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  });

  it('a worktree moved by hand (prunable: git words the reason)', async () => {
    const repo = await createRepo();
    const moved = await repo.addWorktree('moved');
    await rename(moved, join(repo.root, 'moved-by-hand'));
    await expectSameAsGit(repo.path, { inProcess: false });
    expect((await listWorktrees(repo.path)).worktrees[1]).toMatchObject({ prunable: true });
  });

  it('paths equal but for case when git compares them ignoring case (core.ignorecase: qsort leaves their order open)', async () => {
    const repo = await createRepo();
    await repo.addWorktree('Same', { branch: 'same-upper' });
    await repo.addWorktree('same', { branch: 'same-lower' });
    await repo.addWorktree('Zeta');
    await repo.addWorktree('alpha');
    await expectSameAsGit(repo.path); // core.ignorecase=false (git init on Linux): byte order
    await repo.git('config', 'core.ignorecase', 'true');
    await expectSameAsGit(repo.path, { inProcess: false });
    await repo.removeWorktree(join(repo.root, 'repo-worktrees', 'same'));
    await expectSameAsGit(repo.path); // ignoring case: alpha, Same, Zeta
  });

  it('config it does not follow: worktreeConfig, an include, a relative gitdir, core.bare in the global config', async () => {
    const repo = await createRepo();
    const linked = await repo.addWorktree('one');
    await expectSameAsGit(repo.path);

    await repo.git('config', 'extensions.worktreeConfig', 'true');
    await expectSameAsGit(linked, { inProcess: false });
    await repo.git('config', '--unset', 'extensions.worktreeConfig');

    const included = join(await createTempDir(), 'more.gitconfig');
    await writeFile(included, '[core]\n\tbare = true\n');
    await repo.git('config', 'include.path', included);
    await expectSameAsGit(linked, { inProcess: false });
    await repo.git('config', '--unset', 'include.path');

    const global = join(await createTempDir(), 'global.gitconfig');
    await writeFile(global, '[core]\n\tbare = true\n');
    process.env['GIT_CONFIG_GLOBAL'] = global;
    await expectSameAsGit(linked, { inProcess: false });
    await writeFile(global, '[core]\n\tignorecase = true\n');
    await expectSameAsGit(linked, { inProcess: false });
    process.env['GIT_CONFIG_GLOBAL'] = '/dev/null';

    const gitdirFile = join(repo.commonDir, 'worktrees', 'one', 'gitdir');
    await writeFile(gitdirFile, '../../../repo-worktrees/one/.git\n');
    expect(await listWorktreesInProcess(repo.path)).toBeNull();
  });

  it('an odd HEAD: a symlink, trailing text, a per-worktree ref', async () => {
    const repo = await createRepo();
    const linked = await repo.addWorktree('odd');
    const head = join(repo.commonDir, 'worktrees', 'odd', 'HEAD');
    const oid = (await repo.git('rev-parse', 'HEAD')).trim();
    await writeFile(head, `${oid} trailing\n`);
    await expectSameAsGit(repo.path, { inProcess: false });
    await writeFile(head, 'ref: refs/bisect/bad\n');
    await expectSameAsGit(repo.path, { inProcess: false });
    await writeFile(join(repo.root, 'head-target'), `${oid}\n`);
    await rm(head);
    await symlink(join(repo.root, 'head-target'), head);
    await expectSameAsGit(repo.path, { inProcess: false });
    await rm(head);
    await writeFile(head, `${oid}\n`);
    await expectSameAsGit(repo.path);
    void linked;
  });
});
