/**
 * The one stamp-and-racy rule (src/files/file-stamps.ts) that the ignore checks' recorded reads and the worktree
 * listing's stamped reads both rest on, against real files: what each stamp form notices, and what it must not.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { lstatSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanupTempDirs, createTempDir } from '../support/git-fixtures.js';
import { changedRecently, numericStamp, RACY_MS, sameNumericStamp, stampText } from '../../src/files/file-stamps.js';

afterAll(cleanupTempDirs);

describe('file stamps', () => {
  it('a file written just now is racy until RACY_MS have passed on the clock compared with', async () => {
    const file = join(await createTempDir(), 'f');
    await writeFile(file, 'one');
    const stats = lstatSync(file);
    expect(changedRecently(stats, Date.now())).toBe(true);
    expect(changedRecently(stats, Math.max(stats.mtimeMs, stats.ctimeMs) + RACY_MS)).toBe(false);
  });

  it('both forms see a rewrite of another size and a file renamed over; the identity form sees only the latter', async () => {
    const dir = await createTempDir();
    const file = join(dir, 'f');
    await writeFile(file, 'one');
    const first = lstatSync(file);
    expect(sameNumericStamp(numericStamp(first), numericStamp(lstatSync(file)))).toBe(true);
    expect(stampText(lstatSync(file), 'content')).toBe(stampText(first, 'content'));

    await writeFile(file, 'longer');
    const grown = lstatSync(file);
    expect(sameNumericStamp(numericStamp(first), numericStamp(grown))).toBe(false);
    expect(stampText(grown, 'content')).not.toBe(stampText(first, 'content'));
    expect(stampText(grown, 'identity')).toBe(stampText(first, 'identity')); // a folder gaining a file keeps its identity too

    await writeFile(join(dir, 'g'), 'longer'); // same size and content, another inode
    await rename(join(dir, 'g'), file);
    const replaced = lstatSync(file);
    expect(sameNumericStamp(numericStamp(grown), numericStamp(replaced))).toBe(false);
    expect(stampText(replaced, 'identity')).not.toBe(stampText(grown, 'identity'));
  });
});
