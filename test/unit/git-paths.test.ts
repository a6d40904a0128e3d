import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ANY_NAME } from '../../src/daemon/sources/folder-watches.js';
import { classifyGitPath, finishedBy, gitWatchPlan } from '../../src/daemon/sources/git-paths.js';

const COMMON = '/src/app/.git';
const at = (rel: string): string => (rel === '' ? COMMON : join(COMMON, rel));

const relevant: Array<[string, string]> = [
  ['', 'the common dir itself (repo deleted or re-created)'],
  ['worktrees', 'the admin root (vanishes with the last linked worktree)'],
  ['worktrees/feat-x', 'a worktree appearing or vanishing (add, remove, prune)'],
  ['worktrees/x1', 'a second worktree whose basename collides'],
  ['worktrees/ünï-cødé', 'non-ASCII admin id'],
  ['worktrees/has space', 'admin id with a space'],
  ['worktrees/feat-x/gitdir', 'move / repair / prunable'],
  ['worktrees/feat-x/HEAD', 'branch switch inside the worktree'],
  ['worktrees/feat-x/locked', 'lock, unlock, and the transient lock of `git worktree add`'],
];

const irrelevant: Array<[string, string]> = [
  ['HEAD', 'the main worktree HEAD'],
  ['objects', 'object store'],
  ['objects/ab', 'loose object folder'],
  ['objects/ab/cdef0123', 'loose object'],
  ['objects/pack/pack-1.pack', 'pack'],
  ['logs', 'reflogs'],
  ['logs/HEAD', 'main reflog'],
  ['logs/refs/heads/main', 'branch reflog'],
  ['hooks', 'hooks'],
  ['hooks/pre-commit', 'a hook'],
  ['refs', 'refs'],
  ['refs/heads/main', 'a branch'],
  ['refs/heads/main.lock', 'a ref lock'],
  ['index', 'main index'],
  ['index.lock', 'main index lock'],
  ['FETCH_HEAD', 'fetch'],
  ['ORIG_HEAD', 'reset/rebase'],
  ['packed-refs', 'packed refs'],
  ['packed-refs.lock', 'packed refs lock'],
  ['config', 'repo config'],
  ['info/exclude', 'excludes'],
  ['COMMIT_EDITMSG', 'commit message'],
  ['worktrees.lock', 'a lock file next to worktrees/'],
  ['worktrees/feat-x.lock', 'a lock file inside worktrees/'],
  ['worktrees/feat-x/HEAD.lock', 'HEAD lock of a worktree'],
  ['worktrees/feat-x/locked.lock', 'a lock of the lock file'],
  ['worktrees/feat-x/index', 'worktree index'],
  ['worktrees/feat-x/index.lock', 'worktree index lock'],
  ['worktrees/feat-x/ORIG_HEAD', 'worktree ORIG_HEAD'],
  ['worktrees/feat-x/FETCH_HEAD', 'worktree FETCH_HEAD'],
  ['worktrees/feat-x/commondir', 'written once by add, never changes'],
  ['worktrees/feat-x/logs', 'worktree reflogs folder'],
  ['worktrees/feat-x/logs/HEAD', 'worktree reflog'],
  ['worktrees/feat-x/refs/bisect/bad', 'per-worktree refs'],
  ['worktrees/feat-x/gitdir/deeper', 'anything deeper than worktrees/<id>/<file>'],
];

const outside: Array<[string, string]> = [
  ['/src/app', 'the main worktree (parent of the common dir)'],
  ['/src/app/README.md', 'a file in the main worktree'],
  ['/src/app/.git-other/worktrees/x', 'a sibling folder sharing the prefix'],
  ['/src/app/.gitworktrees', 'a sibling folder sharing the prefix, no separator'],
  ['/elsewhere/worktrees/x/HEAD', 'another tree'],
];

describe('classifyGitPath', () => {
  it.each(relevant)('%s matters (%s)', (rel) => {
    expect(classifyGitPath(COMMON, at(rel))).toBe(true);
  });
  it.each(irrelevant)('%s is ignored (%s)', (rel) => {
    expect(classifyGitPath(COMMON, at(rel))).toBe(false);
  });
  it.each(outside)('%s is outside the common dir (%s)', (path) => {
    expect(classifyGitPath(COMMON, path)).toBe(false);
  });
  it('accepts a common dir given with a trailing slash', () => {
    expect(classifyGitPath(`${COMMON}/`, at('worktrees/x/HEAD'))).toBe(true);
    expect(classifyGitPath(`${COMMON}/`, at('objects/ab'))).toBe(false);
  });
  it('works for a bare repo (the common dir is the repo folder)', () => {
    expect(classifyGitPath('/src/app.git', '/src/app.git/worktrees/x/locked')).toBe(true);
    expect(classifyGitPath('/src/app.git', '/src/app.git/refs/heads/x')).toBe(false);
  });
});

describe('gitWatchPlan', () => {
  // The ids as git would list them in worktrees/ (a lock file there is no worktree).
  const plan = gitWatchPlan(COMMON, ['feat-x', 'x1', 'ünï-cødé', 'has space', 'feat-x.lock']);
  /** What FolderWatches admits: an entry name of a watched folder, or a watched folder itself (its own deletion). */
  const admitted = (path: string): boolean => {
    if (plan.has(path)) return true;
    const names = plan.get(dirname(path));
    const name = basename(path);
    return names !== undefined && (names.has(name) || (names.has(ANY_NAME) && !name.endsWith('.lock')));
  };
  it('watches the common dir, worktrees/ and one folder per worktree: 2 + N folders', () => {
    expect([...plan.keys()].sort()).toEqual([COMMON, at('worktrees'), at('worktrees/feat-x'), at('worktrees/has space'), at('worktrees/x1'), at('worktrees/ünï-cødé')].sort());
  });
  it.each(relevant)('%s is admitted (%s)', (rel) => {
    expect(admitted(at(rel))).toBe(true);
  });
  it.each(irrelevant)('%s is not (%s)', (rel) => {
    expect(admitted(at(rel))).toBe(false);
  });
  it('agrees with classifyGitPath inside the common dir', () => {
    for (const [rel] of [...relevant, ...irrelevant]) expect(admitted(at(rel))).toBe(classifyGitPath(COMMON, at(rel)));
  });
});

describe('finishedBy', () => {
  it('names the last step of `git worktree add`/`unlock` (locked unlinked) and of `remove`/`prune` (admin folder gone)', () => {
    expect(finishedBy(COMMON, at('worktrees/feat-x'), 'locked')).toBe('lock-removed');
    expect(finishedBy(COMMON, at('worktrees'), 'feat-x')).toBe('admin-folder-removed');
    expect(finishedBy(COMMON, at('worktrees'), 'ünï-cødé')).toBe('admin-folder-removed');
  });
  it('names nothing else: other admin files, lock files, paths outside worktrees/, no entry name', () => {
    expect(finishedBy(COMMON, at('worktrees/feat-x'), 'HEAD')).toBeNull();
    expect(finishedBy(COMMON, at('worktrees/feat-x'), 'gitdir')).toBeNull();
    expect(finishedBy(COMMON, at('worktrees'), 'feat-x.lock')).toBeNull();
    expect(finishedBy(COMMON, at('worktrees/feat-x.lock'), 'locked')).toBeNull();
    expect(finishedBy(COMMON, COMMON, 'worktrees')).toBeNull();
    expect(finishedBy(COMMON, at('refs/heads'), 'locked')).toBeNull();
    expect(finishedBy(COMMON, at('worktrees/feat-x'), null)).toBeNull();
    expect(finishedBy('/elsewhere/.git', at('worktrees/feat-x'), 'locked')).toBeNull();
  });
});
