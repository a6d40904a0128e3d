/**
 * SharedLooks (src/files/shared-looks.ts) against the system: its realpath, built from each folder's real path
 * kept for the pass, must give exactly what realpath(3) gives, error codes included, for every kind of path on a
 * real file system (symlinked folders, chains, relative links, `..` after a link, loops, files in the way).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupTempDirs, createTempDir } from '../support/git-fixtures.js';
import { SharedLooks } from '../../src/files/shared-looks.js';
import { ReadCache, RecordedReads, singlePass, stillValid } from '../../src/files/recorded-reads.js';

afterAll(cleanupTempDirs);

function outcome(resolve: () => string): string {
  try {
    return `ok ${resolve()}`;
  } catch (error) {
    return `error ${(error as NodeJS.ErrnoException).code ?? 'none'}`;
  }
}

async function tree(): Promise<{ root: string; paths: string[] }> {
  const root = realpathSync.native(await createTempDir('shared-looks-'));
  await mkdir(join(root, 'real', 'repo', '.git', 'worktrees', 'wt-1'), { recursive: true });
  await mkdir(join(root, 'real', 'other'), { recursive: true });
  await writeFile(join(root, 'real', 'file'), 'x');
  await symlink(join(root, 'real'), join(root, 'abs-link')); // absolute link to a folder
  await symlink('real/repo', join(root, 'rel-link')); // relative link
  await symlink('rel-link', join(root, 'chain')); // a link to a link
  await symlink(join(root, 'real', 'repo', '.git', 'worktrees', 'wt-1'), join(root, 'real', 'other', 'admin')); // a link as the last part
  await symlink('loop-b', join(root, 'loop-a'));
  await symlink('loop-a', join(root, 'loop-b'));
  await symlink('nowhere', join(root, 'dangling'));
  const paths = [
    'real/repo/.git/worktrees/wt-1',
    'abs-link/repo/.git/worktrees/wt-1',
    'rel-link/.git/worktrees/wt-1',
    'chain/.git/worktrees/wt-1',
    'chain/.git/worktrees/wt-1/../..',
    'abs-link/repo/.git/worktrees/wt-1/../../..',
    'real/other/admin',
    'real/other/admin/../..',
    'real/other/admin/..',
    'real/repo/.git/worktrees/wt-1/',
    'real/./repo',
    'real//repo',
    'real/file',
    'real/file/below',
    'real/missing/wt-1',
    'loop-a/x',
    'loop-a',
    'dangling',
    'dangling/x',
    '',
  ].map((path) => (path === '' ? root : join(root, path).replace(/\/$/, '') + (path.endsWith('/') ? '/' : '')));
  // The same paths written with `//` and a leading relative form reach the system's realpath untouched.
  paths.push(`${root}//real/repo`, 'relative/path', '/');
  return { root, paths };
}

describe('SharedLooks.realpath', () => {
  it('gives what realpath(3) gives for every path, one pass answering them all (order must not matter)', async () => {
    const { paths } = await tree();
    const expected = paths.map((path) => outcome(() => realpathSync.native(path)));
    for (const order of [paths, [...paths].reverse()]) {
      const looks = new SharedLooks();
      const got = order.map((path) => outcome(() => looks.realpath(path)));
      const want = order.map((path) => expected[paths.indexOf(path)]);
      expect(got.map((line, i) => `${order[i]} -> ${line}`)).toEqual(want.map((line, i) => `${order[i]} -> ${line}`));
    }
    expect(expected.filter((line) => line.startsWith('ok')).length).toBeGreaterThan(10); // the corpus reaches real folders
    expect(new Set(expected.filter((line) => line.startsWith('error')))).toEqual(new Set(['error ENOENT', 'error ENOTDIR', 'error ELOOP']));
  });
});

describe('RecordedReads with a pass’s shared looks', () => {
  it('records the same checks as a look of its own, so a kept answer is validated the same way', async () => {
    const { root } = await tree();
    const admin = join(root, 'chain', '.git', 'worktrees', 'wt-1');
    await writeFile(join(root, 'real', 'repo', '.git', 'config'), '[core]\n');
    const look = (reads: RecordedReads) => {
      reads.realpath(admin);
      reads.lstat(join(root, 'real', 'repo'));
      reads.stat(join(root, 'dangling'));
      reads.read(join(root, 'real', 'repo', '.git', 'config'));
      reads.read(join(root, 'real', 'repo', '.git', 'absent'));
      reads.summarize(join(root, 'real', 'repo', '.git', 'config'), { name: 'length', of: (bytes) => String(bytes?.length ?? -1) });
      return reads;
    };
    const later = () => Date.now() + 60_000; // nothing counts as written "just now"
    const alone = look(new RecordedReads(later));
    const pass = new ReadCache<RecordedReads>(later).pass(new Map());
    pass.get('a', look);
    const shared = pass.get('b', look); // a second computation of the pass: served from the shared looks
    expect(shared.checks.map(({ op, path, seen }) => ({ op, path, seen }))).toEqual(alone.checks.map(({ op, path, seen }) => ({ op, path, seen })));
    expect(shared.reusable).toBe(true);
    expect(stillValid(shared.checks, new Map(), later)).toBe(true);
    await writeFile(join(root, 'real', 'repo', '.git', 'config'), '[core]\n\tbare = false\n');
    expect(stillValid(shared.checks, new Map(), later)).toBe(false);
    // A one-shot pass keeps nothing, so it records nothing, and reads the same.
    const once = singlePass<RecordedReads>().get('a', look);
    expect(once.checks).toEqual([]);
  });

  it('validates a read through a symlink by what it leads to, when the pass shares its looks', async () => {
    const { root } = await tree();
    const target = join(root, 'real', 'target');
    const link = join(root, 'real', 'link-to-target');
    await writeFile(target, 'one');
    await symlink(target, link);
    const later = () => Date.now() + 60_000;
    const cache = new ReadCache<string>(later);
    const computed: string[] = [];
    const value = () => cache.pass(new Map()).get('k', (reads) => {
      const text = reads.read(link)?.toString('utf8') ?? 'absent';
      reads.lstat(link); // the same path looked at both ways in one computation
      computed.push(text);
      return text;
    });
    expect(value()).toBe('one');
    expect(value()).toBe('one');
    expect(computed).toEqual(['one']); // kept: nothing changed
    await writeFile(target, 'two, longer'); // the link itself is unchanged; only what it leads to
    expect(value()).toBe('two, longer');
    expect(computed).toEqual(['one', 'two, longer']);
  });

  it('refuses a FIFO where a file is expected without blocking, and keeps no answer', async () => {
    const { root } = await tree();
    const { execFileSync } = await import('node:child_process');
    const fifo = join(root, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const reads = new RecordedReads();
    expect(() => reads.read(fifo)).toThrow(/not a regular file/);
    expect(reads.reusable).toBe(false);
  });
});
