/**
 * writeFileAtomically on a real file system: whole files with the asked mode and owner, temp files named so git
 * ignores them, leftovers of dead writers removed, and nothing else touched (src/files/atomic-write.ts,
 * temp-files.ts). Full disks are in test/e2e/full-disk.test.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { chown, lstat, mkdir, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanupTempDirs, createRepo, createTempDir } from '../support/git-fixtures.js';
import { AtomicWriteError, CHANGED_MEANWHILE, retryWhenChanged, writeFileAtomically } from '../../src/files/atomic-write.js';
import { removeStaleTempFiles, TEMP_FILES_EXCLUDE, tempFileExample } from '../../src/files/temp-files.js';
import { checkIgnoredByGit, ensureExcluded } from '../../src/git/ignore.js';
import { certainlyIgnored } from '../../src/git/ignore-fast-path.js';

afterAll(cleanupTempDirs);

/** A pid that no process has any more: a child that has exited. */
async function deadPid(): Promise<number> {
  const child = execa(process.execPath, ['-e', '']);
  await child;
  return child.pid as number;
}

describe('writeFileAtomically', () => {
  it('writes the whole content with the mode asked (umask or not) and leaves no temp file', async () => {
    const dir = await createTempDir();
    const file = join(dir, 'sub', '.env');
    const content = Buffer.from([0xff, 0x00, 0x41, 0x0a, ...Buffer.from('x'.repeat(300_000))]);
    await writeFileAtomically(file, content, { mode: 0o600 });
    expect((await readFile(file)).equals(content)).toBe(true);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'sub'))).mode & 0o777).toBe(0o700);
    await writeFileAtomically(file, 'short\n', { mode: 0o644 });
    expect(await readFile(file, 'utf8')).toBe('short\n');
    expect((await stat(file)).mode & 0o777).toBe(0o644);
    expect(await readdir(join(dir, 'sub'))).toEqual(['.env']);
  });

  it('within a folder: makes the folders inside it, never the folder itself once it is gone', async () => {
    const base = await createTempDir();
    const worktree = join(base, 'worktree');
    await mkdir(worktree);
    await writeFileAtomically(join(worktree, 'apps', 'web', '.env'), 'A=1\n', { dirMode: 0o700, within: worktree });
    expect(await readFile(join(worktree, 'apps', 'web', '.env'), 'utf8')).toBe('A=1\n');
    expect((await stat(join(worktree, 'apps'))).mode & 0o777).toBe(0o700);

    await rm(worktree, { recursive: true });
    for (const file of [join(worktree, '.env'), join(worktree, 'apps', '.env')]) {
      const failed = await writeFileAtomically(file, 'SECRET=1\n', { within: worktree }).catch((error: unknown) => error);
      expect(failed).toBeInstanceOf(AtomicWriteError);
      expect((failed as AtomicWriteError).code).toBe('ENOENT');
      expect((failed as AtomicWriteError).message).toContain('its folder is gone');
    }
    expect(await readdir(base)).toEqual([]); // the worktree's folder was not made again
    // Without `within` the folders are made as before (state dir files).
    await writeFileAtomically(join(worktree, 'x', 'f'), 'y');
    expect(await readFile(join(worktree, 'x', 'f'), 'utf8')).toBe('y');
  });

  it('replaces the target of a symlink and keeps the link', async () => {
    const dir = await createTempDir();
    await writeFile(join(dir, 'real.json'), 'old');
    await symlink('real.json', join(dir, 'link.json'));
    await writeFileAtomically(join(dir, 'link.json'), 'new');
    expect((await lstat(join(dir, 'link.json'))).isSymbolicLink()).toBe(true);
    expect(await readFile(join(dir, 'real.json'), 'utf8')).toBe('new');
  });

  it.runIf(process.getuid?.() === 0)('keeps the owner of a file it replaces (running as root)', async () => {
    const dir = await createTempDir();
    const file = join(dir, '.env');
    await writeFile(file, 'old');
    await chown(file, 4321, 4322);
    await writeFileAtomically(file, 'new');
    const stats = await stat(file);
    expect([stats.uid, stats.gid]).toEqual([4321, 4322]);
  });

  it('lands overlapping writes to one file in call order', async () => {
    const dir = await createTempDir();
    const file = join(dir, 'ledger.json');
    await Promise.all(Array.from({ length: 20 }, (_, i) => writeFileAtomically(file, `write ${i} ${'.'.repeat(20_000 - i * 900)}`)));
    expect((await readFile(file, 'utf8')).startsWith('write 19 ')).toBe(true);
    expect(await readdir(dir)).toEqual(['ledger.json']);
  });

  it('fails with a typed error naming the file and the cause, touches nothing and leaves no temp file', async () => {
    const dir = await createTempDir();
    await mkdir(join(dir, '.env'));
    await writeFile(join(dir, '.env', 'inside'), 'x');
    const error = await writeFileAtomically(join(dir, '.env'), 'new').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AtomicWriteError);
    expect((error as AtomicWriteError).code).toBe('EISDIR');
    expect((error as Error).message).toBe(`Could not write ${join(dir, '.env')}: it is a folder (EISDIR); it was left as it was`);
    expect(await readdir(dir)).toEqual(['.env']);
    expect(await readFile(join(dir, '.env', 'inside'), 'utf8')).toBe('x');
  });
});

describe('a write based on what was read (basedOn)', () => {
  it('replaces the file only while it still holds what was read; otherwise leaves the other program\'s bytes and no temp file', async () => {
    const dir = await createTempDir();
    const file = join(dir, '.env');
    await writeFile(file, 'MINE=1\n');
    await writeFileAtomically(file, 'MINE=1\nOURS=1\n', { basedOn: Buffer.from('MINE=1\n') });
    expect(await readFile(file, 'utf8')).toBe('MINE=1\nOURS=1\n');

    // Read, then another program writes, then our write: refused, theirs kept.
    const cases: { before: string | null; theirs: string | null; read: Buffer | null }[] = [
      { before: 'MINE=1\n', theirs: 'MINE=2\n', read: Buffer.from('MINE=1\n') }, // edited
      { before: '', theirs: 'MINE=1\n', read: Buffer.from('') }, // read between an editor's truncate and its write
      { before: null, theirs: 'NEW=1\n', read: null }, // made meanwhile
      { before: 'MINE=1\n', theirs: null, read: Buffer.from('MINE=1\n') }, // deleted meanwhile
    ];
    for (const { before, theirs, read } of cases) {
      await rm(file, { force: true });
      if (before !== null) await writeFile(file, before);
      if (theirs === null) await rm(file);
      else await writeFile(file, theirs);
      const failed = await writeFileAtomically(file, 'OURS=1\n', { basedOn: read }).catch((error: unknown) => error);
      expect(failed, JSON.stringify({ before, theirs })).toBeInstanceOf(AtomicWriteError);
      expect((failed as AtomicWriteError).code).toBe(CHANGED_MEANWHILE);
      expect((failed as AtomicWriteError).unchanged).toBe(true);
      expect((failed as AtomicWriteError).message).toContain('another program changed it');
      expect(await readFile(file, 'utf8').catch(() => null)).toBe(theirs);
      expect(await readdir(dir)).toEqual(theirs === null ? [] : ['.env']);
    }
    // basedOn null and still absent: written.
    await writeFileAtomically(file, 'OURS=1\n', { basedOn: null });
    expect(await readFile(file, 'utf8')).toBe('OURS=1\n');
  });

  it('takes a FIFO put in the file\'s place meanwhile for a change, without blocking on it, and leaves it there', async () => {
    const dir = await createTempDir();
    const file = join(dir, '.env');
    await execa('mkfifo', [file]); // no writer ever opens it: a blocking read would hang this test
    const failed = await writeFileAtomically(file, 'OURS=1\n', { basedOn: Buffer.from('MINE=1\n') }).catch((error: unknown) => error);
    expect((failed as AtomicWriteError).code).toBe(CHANGED_MEANWHILE);
    expect((await lstat(file)).isFIFO()).toBe(true);
    expect(await readdir(dir)).toEqual(['.env']);
  });

  it('retryWhenChanged reads again and keeps an edit that landed between the read and the rename', async () => {
    const dir = await createTempDir();
    const file = join(dir, '.env');
    await writeFile(file, 'MINE=1\n');
    let runs = 0;
    const result = await retryWhenChanged(async () => {
      runs += 1;
      const read = await readFile(file);
      if (runs === 1) await writeFile(file, 'MINE=1\nALSO_MINE=2\n'); // the user's editor, mid-step
      await writeFileAtomically(file, Buffer.concat([read, Buffer.from('OURS=1\n')]), { basedOn: read });
      return runs;
    });
    expect(result).toBe(2);
    expect(await readFile(file, 'utf8')).toBe('MINE=1\nALSO_MINE=2\nOURS=1\n');
  });

  it('retryWhenChanged gives up after the attempts asked, with the CHANGED error, the file left as the other program wrote it', async () => {
    const dir = await createTempDir();
    const file = join(dir, '.env');
    await writeFile(file, 'N=0\n');
    let runs = 0;
    const failed = await retryWhenChanged(async () => {
      runs += 1;
      const read = await readFile(file);
      await writeFile(file, `N=${runs}\n`); // edited again during every step
      await writeFileAtomically(file, 'OURS=1\n', { basedOn: read });
    }, 3).catch((error: unknown) => error);
    expect(runs).toBe(3);
    expect((failed as AtomicWriteError).code).toBe(CHANGED_MEANWHILE);
    expect(await readFile(file, 'utf8')).toBe('N=3\n');
  });

  it('retryWhenChanged does not run a step again for any other failure', async () => {
    let runs = 0;
    const failed = await retryWhenChanged(async () => {
      runs += 1;
      throw new Error('disk on fire');
    }).catch((error: unknown) => error);
    expect(runs).toBe(1);
    expect((failed as Error).message).toBe('disk on fire');
  });
});

describe('leftover temp files', () => {
  it('removes only leftovers provably ours: our exact shape, for this file, from a process that is gone', async () => {
    const dir = await createTempDir();
    const file = join(dir, '.env');
    await writeFile(file, 'old');
    const dead = await deadPid();
    const names = {
      ours: `.env.${dead}-0badbeef.ravi-tmp`,
      live: `.env.${process.ppid}-0badbeef.ravi-tmp`, // a running process may still be writing it
      otherFile: `.env.local.${dead}-0badbeef.ravi-tmp`,
      oldStyle: '.env.3441217408', // write-file-atomic's shape: a user's `.env.<digits>` looks the same
      user: '.env.backup',
      notHex: `.env.${dead}-NOTHEX00.ravi-tmp`,
    };
    for (const name of Object.values(names)) await writeFile(join(dir, name), 'x');
    await mkdir(join(dir, `.env.${dead}-0000000a.ravi-tmp`)); // a folder of that name is nobody's temp file
    await symlink(file, join(dir, `.env.${dead}-0000000b.ravi-tmp`));

    await writeFileAtomically(file, 'new');
    const left = await readdir(dir);
    expect(left).not.toContain(names.ours);
    expect(left.sort()).toEqual(
      ['.env', names.live, names.otherFile, names.oldStyle, names.user, names.notHex, `.env.${dead}-0000000a.ravi-tmp`, `.env.${dead}-0000000b.ravi-tmp`].sort(),
    );
    expect(removeStaleTempFiles(file)).toEqual([]);
  });
});

describe('git ignores our temp files once info/exclude has the line', () => {
  it('in any folder, proven without git (fast path) and confirmed by git', async () => {
    const repo = await createRepo({ name: 'tmp-ignore' });
    const wt = await repo.addWorktree('feat/t');
    const probes = [tempFileExample('.env'), tempFileExample('.ravi/config.json'), tempFileExample('config/.env.local')];
    expect([...(await certainlyIgnored(wt, probes))]).toEqual([]);
    expect([...(await checkIgnoredByGit(wt, probes)).ignored.values()]).toEqual([false, false, false]);
    expect(await ensureExcluded(repo.commonDir, [TEMP_FILES_EXCLUDE])).toBe(true);
    expect([...(await certainlyIgnored(wt, probes))].sort()).toEqual([...probes].sort());
    expect([...(await checkIgnoredByGit(wt, probes)).ignored.values()]).toEqual([true, true, true]);

    // A .gitignore negation that could match: the fast path steps aside, and git says not ignored.
    await repo.commitFile('.gitignore', '!*.ravi-tmp\n', { worktree: wt });
    expect([...(await certainlyIgnored(wt, probes))]).toEqual([]);
    expect((await checkIgnoredByGit(wt, probes)).ignored.get(probes[0]!)).toBe(false);
  });
});
