/**
 * readSmallFileSync (src/files/regular-file.ts): a file's bytes without an fstat, for passes that keep no stamp.
 * It must answer as readRegularFileSync does: plain files whole at any size, absent as ENOENT, and anything that
 * is not a plain file refused without blocking (a FIFO with no writer, a folder); a symlink refused on request.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readRegularFileSync, readSmallFileSync } from '../../src/files/regular-file.js';
import { cleanupTempDirs, createTempDir } from '../support/git-fixtures.js';

afterAll(cleanupTempDirs);

const codeOf = (read: () => unknown): string | undefined => {
  try {
    read();
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code;
  }
};

describe('readSmallFileSync', () => {
  it('reads plain files whole, below, at and above its 64 KiB scratch, each read its own copy', async () => {
    const dir = await createTempDir();
    const sizes = [0, 1, 41, 65_535, 65_536, 65_537, 300_000];
    const files = await Promise.all(sizes.map(async (size) => {
      const path = join(dir, `f${size}`);
      const bytes = randomBytes(size);
      await writeFile(path, bytes);
      return { path, bytes };
    }));
    const read = files.map(({ path }) => readSmallFileSync(path));
    files.forEach(({ bytes, path }, i) => {
      expect(read[i]?.equals(bytes)).toBe(true); // still equal after the later reads: not a view of the scratch
      expect(readSmallFileSync(path, { noFollow: true }).equals(readRegularFileSync(path))).toBe(true);
    });
  });

  it('refuses what readRegularFileSync refuses, with the same codes, and never waits on a FIFO', async () => {
    const dir = await createTempDir();
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    await mkdir(join(dir, 'folder'));
    await writeFile(join(dir, 'target'), 'x');
    await symlink(join(dir, 'target'), join(dir, 'link'));
    for (const [name, options] of [['fifo', {}], ['folder', {}], ['absent', {}], ['link', { noFollow: true }], ['target/below', {}]] as const) {
      const path = join(dir, name);
      const small = codeOf(() => readSmallFileSync(path, options));
      expect({ name, small }).toEqual({ name, small: codeOf(() => readRegularFileSync(path, options)) ?? 'none' });
    }
    expect(readSmallFileSync(join(dir, 'link')).toString()).toBe('x'); // followed unless told not to
  });
});
