/**
 * The git index reader behind the ignore proof (src/git/index-probe.ts) against git's own listing, in real
 * repositories whose indexes git wrote: the entries it finds are the ones `git ls-files` lists, whatever the index's
 * size; bytes it cannot read as git reads them make it answer null ("ask git"); and a pass's reused buffer
 * (RecordedReads.scan) never lends one index's bytes to the next worktree's answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { cleanupTempDirs, createRepo, gitEnv, type TestRepo } from '../support/git-fixtures.js';
import { lowerAscii, probeIndex, type IndexProbe } from '../../src/git/index-probe.js';
import { RecordedReads } from '../../src/files/recorded-reads.js';
import { SharedLooks } from '../../src/files/shared-looks.js';

afterAll(cleanupTempDirs);

const SHA1 = 20;

/** Index entries without files on disk (update-index --index-info), all naming one empty blob. */
async function addEntries(repo: TestRepo, cwd: string, paths: readonly string[]): Promise<void> {
  const { stdout: blob } = await execa('git', ['-C', repo.path, 'hash-object', '-w', '--stdin'], { env: gitEnv, input: '' });
  const input = paths.map((path) => `100644 ${blob}\t${path}\0`).join('');
  await execa('git', ['-C', cwd, 'update-index', '--add', '-z', '--index-info'], { env: gitEnv, input });
}

/** The entries git lists in `cwd`'s index, by `git ls-files` (as stored, so `-z` and no quoting). */
async function listed(cwd: string): Promise<string[]> {
  const { stdout } = await execa('git', ['-C', cwd, 'ls-files', '-z', '--cached'], { env: gitEnv });
  return stdout.split('\0').filter((path) => path !== '');
}

/** The oracle: whether git lists an entry at a probe's path (or under it), compared as the probe compares. */
function expectedHits(entries: readonly string[], probes: readonly IndexProbe[]): boolean[] {
  const lower = entries.map(lowerAscii);
  return probes.map((probe) => {
    const path = lowerAscii(probe.path);
    return lower.some((entry) => entry === path || (probe.orUnder && entry.startsWith(`${path}/`)));
  });
}

const PROBES: readonly IndexProbe[] = [
  { path: '.env', orUnder: true },
  { path: '.ravi', orUnder: true },
  { path: '.ravi/config.json', orUnder: false },
  { path: '.gitignore', orUnder: false },
  { path: '.github', orUnder: true },
  { path: 'src/m100/file_050.tsx', orUnder: false },
  { path: 'src/m100', orUnder: true },
  { path: 'zz-not-there', orUnder: true },
];

/** A worktree's index through a pass's scan (the way the ignore proof reads it), recorded and not. */
function scanned(indexFile: string, looks: SharedLooks, probes: readonly IndexProbe[], record: boolean): boolean[] | null {
  return new RecordedReads(Date.now, looks, record).scan(indexFile, (bytes) => probeIndex(bytes, probes, SHA1), []);
}

describe('probeIndex', () => {
  let repo: TestRepo;
  let small: string;
  let large: string;
  let medium: string;

  beforeAll(async () => {
    repo = await createRepo({ name: 'index-probe' });
    small = await repo.addWorktree('small');
    large = await repo.addWorktree('large');
    medium = await repo.addWorktree('medium');
    // Case variants: a name git's cautious (core.ignoreCase) reading would match, first byte included.
    await addEntries(repo, small, ['.env.example', '.ravi/keep', '.GitHub/workflows/ci.yml', 'SRC/m100/file_050.tsx']);
    // 20,000 entries, about 2 MB: far past the 64 KiB that small files are read into.
    const many = Array.from({ length: 20_000 }, (_, i) => `src/m${String(Math.floor(i / 100)).padStart(3, '0')}/file_${String(i % 100).padStart(3, '0')}.tsx`);
    await addEntries(repo, large, [...many, '.Env', '.ravi/config.json', 'a/.env']);
    await addEntries(repo, medium, many.slice(0, 3000)); // about 300 kB: read into the buffer the large one filled
  }, 60_000);

  const indexOf = (worktree: string) => join(repo.commonDir, 'worktrees', worktree.split('/').at(-1) as string, 'index');

  it('finds exactly the entries git lists, in a small index and in one of 20,000 entries', async () => {
    for (const worktree of [small, large, medium]) {
      const expected = expectedHits(await listed(worktree), PROBES);
      expect(probeIndex(await readFile(indexOf(worktree)), PROBES, SHA1)).toEqual(expected);
      const looks = new SharedLooks();
      expect(scanned(indexOf(worktree), looks, PROBES, false)).toEqual(expected);
      expect(scanned(indexOf(worktree), looks, PROBES, true)).toEqual(expected);
    }
    // The oracle is not vacuous: each index has hits and misses, the case variants included.
    expect(expectedHits(await listed(large), PROBES)).toEqual([true, true, true, false, false, true, true, false]);
    expect(expectedHits(await listed(small), PROBES)).toEqual([false, true, false, false, true, true, true, false]);
    expect((await readFile(indexOf(large))).length).toBeGreaterThan(1_000_000);
  });

  it('gives each worktree its own answer when a pass reuses one buffer for every index', async () => {
    const looks = new SharedLooks();
    const probes: IndexProbe[] = [{ path: '.ravi/config.json', orUnder: false }];
    // The large index (2 MB, tracked key file) fills the buffer; the ones after it must not see its bytes.
    for (const record of [false, true]) {
      expect(scanned(indexOf(large), looks, probes, record)).toEqual([true]);
      expect(scanned(indexOf(medium), looks, probes, record)).toEqual([false]);
      expect(scanned(indexOf(small), looks, probes, record)).toEqual([false]);
    }
    expect(scanned(join(repo.commonDir, 'worktrees', 'no-such', 'index'), looks, probes, false)).toEqual([]); // no index
  });

  it('walks past an entry whose name is too long for the flags (found by its NUL, as git finds it)', async () => {
    const worktree = await repo.addWorktree('long-name');
    const long = `${'d'.repeat(200)}/`.repeat(25) + 'leaf'; // 5029 bytes: the flags' 12 bits say 4095, "look for the NUL"
    await addEntries(repo, worktree, [long, 'zz-after/file']);
    const probes: IndexProbe[] = [{ path: 'zz-after', orUnder: true }, { path: long, orUnder: false }];
    expect(expectedHits(await listed(worktree), probes)).toEqual([true, true]);
    expect(probeIndex(await readFile(indexOf(worktree)), probes, SHA1)).toEqual([true, true]);
  });

  it('answers null for bytes git would read otherwise: a NUL inside a name, padding that is not NULs, a cut file', async () => {
    const bytes = await readFile(indexOf(small));
    const probes: IndexProbe[] = [{ path: '.env', orUnder: true }];
    expect(probeIndex(bytes, probes, SHA1)).toEqual([false]);
    const at = bytes.indexOf('.env.example');
    expect(at).toBeGreaterThan(0);
    // git takes the name's length from the flags and C strings from the bytes: `.env\0example` would read as `.env`.
    const nulInside = Buffer.from(bytes);
    nulInside[at + 4] = 0;
    expect(probeIndex(nulInside, probes, SHA1)).toBeNull();
    const padding = Buffer.from(bytes);
    padding[at + '.env.example'.length + 1] = 0x41;
    expect(probeIndex(padding, probes, SHA1)).toBeNull();
    expect(probeIndex(bytes.subarray(0, at + 4), probes, SHA1)).toBeNull();
    expect(probeIndex(bytes.subarray(0, bytes.length - 30), probes, SHA1)).toBeNull();
  });
});
