/**
 * The atomic write skips the chmod when open() already gave the file its mode (the umask filtered nothing) and the
 * chown when the temp file already has the owner of the file it replaces: these must still happen when needed.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { mkdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanupTempDirs, createTempDir } from '../support/git-fixtures.js';
import { AtomicWriteError, writeFileAtomically } from '../../src/files/atomic-write.js';

afterAll(cleanupTempDirs);

const original = process.umask(); // vitest runs test files in forked processes (pool: 'forks'): umask is ours to set
afterEach(() => {
  process.umask(original);
});

describe('writeFileAtomically: modes and folders', () => {
  it('gives the mode asked under a umask that filters it out, and under one that does not', async () => {
    const dir = await createTempDir();
    const file = join(dir, 'config.json');
    process.umask(0o077);
    await writeFileAtomically(file, 'a', { mode: 0o644 });
    expect((await stat(file)).mode & 0o777).toBe(0o644);
    process.umask(0o022);
    await writeFileAtomically(file, 'b', { mode: 0o600 });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await writeFileAtomically(file, 'c', { mode: 0o640 });
    expect((await stat(file)).mode & 0o777).toBe(0o640);
    expect(await readFile(file, 'utf8')).toBe('c');
  });

  it('makes a missing folder (with dirMode) only when the temp file cannot be opened without it', async () => {
    const dir = await createTempDir();
    const file = join(dir, 'a', 'b', '.env');
    process.umask(0o022);
    await writeFileAtomically(file, 'x', { dirMode: 0o711 });
    expect((await stat(join(dir, 'a', 'b'))).mode & 0o777).toBe(0o711);
    expect(await readFile(file, 'utf8')).toBe('x');
  });

  it('through a dangling symlink writes the link as a file of its own, and a folder in the way is a typed error', async () => {
    const dir = await createTempDir();
    await symlink(join(dir, 'gone', 'target'), join(dir, 'dangling'));
    await writeFileAtomically(join(dir, 'dangling'), 'new');
    expect(await readFile(join(dir, 'dangling'), 'utf8')).toBe('new');
    await rm(join(dir, 'dangling'));
    await mkdir(join(dir, 'dangling'));
    await writeFile(join(dir, 'dangling', 'inside'), 'x');
    const error = await writeFileAtomically(join(dir, 'dangling'), 'again').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AtomicWriteError);
    expect(await readFile(join(dir, 'dangling', 'inside'), 'utf8')).toBe('x');
  });
});
