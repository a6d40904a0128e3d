/**
 * What the daemon keeps between passes (src/reconcile/pass-memory.ts, src/files/recorded-reads.ts) must never hide
 * a change on disk: each test changes a file between two passes and proves the second pass sees it, including
 * an edit of the same size with the modification time put back (only ctime and the racy rule can tell).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanupTempDirs, createRepo, createTempDir } from '../support/git-fixtures.js';
import { createHarness, stateDirIn, testConfig } from '../support/engine-harness.js';
import { analyzeIgnore, type IgnoreAnalysis } from '../../src/git/ignore-fast-path.js';
import { ReadCache, type PassCache } from '../../src/files/recorded-reads.js';
import { PassMemory } from '../../src/reconcile/pass-memory.js';
import { runPass } from '../../src/reconcile/engine.js';
import { Ledger } from '../../src/files/ledger.js';
import { createLogger } from '../../src/util/logger.js';

afterAll(cleanupTempDirs);

const PATHS = ['.env', '.env.ravi-tmp'];
/** A clock 10 s ahead: every file looks old enough to be trusted (not "racily" fresh). */
const later = () => Date.now() + 10_000;
const silent = createLogger('silent');

/** One pass's view of `cache`, counting how many answers had to be computed rather than reused. */
function counting(cache: ReadCache<IgnoreAnalysis>): { view: PassCache<IgnoreAnalysis>; computed: () => number } {
  const pass = cache.pass(new Map());
  let computed = 0;
  return {
    view: { get: (key, compute) => pass.get(key, (reads) => (computed++, compute(reads))) },
    computed: () => computed,
  };
}

async function analyzed(cache: ReadCache<IgnoreAnalysis>, worktree: string): Promise<{ ignored: string[]; computed: number }> {
  const { view, computed } = counting(cache);
  const analysis = await analyzeIgnore(worktree, PATHS, view);
  return { ignored: [...analysis.ignored].sort(), computed: computed() };
}

/** A whole second a minute ago: a modification time that can be put back exactly. */
const MTIME = Math.floor(Date.now() / 1000) - 60;

/** Rewrites `file` with `to` in place of `from` (same size) and puts its modification time (MTIME) back. */
async function sameSizeEdit(file: string, from: string, to: string): Promise<void> {
  const before = await stat(file, { bigint: true });
  const text = await readFile(file, 'utf8');
  expect(to.length).toBe(from.length);
  await writeFile(file, text.replace(from, to));
  await utimes(file, MTIME, MTIME);
  const after = await stat(file, { bigint: true });
  expect([after.mtimeNs, after.size]).toEqual([before.mtimeNs, before.size]);
}

describe('the ignore answer kept between passes', () => {
  it('is reused while nothing changed, and recomputed after a same-size edit of info/exclude with its mtime put back', async () => {
    const repo = await createRepo();
    const worktree = await repo.addWorktree('feat');
    const exclude = join(repo.commonDir, 'info', 'exclude');
    await writeFile(exclude, '/.env\n*.ravi-tmp\n');
    await utimes(exclude, MTIME, MTIME);
    const cache = new ReadCache<IgnoreAnalysis>(later);

    expect(await analyzed(cache, worktree)).toEqual({ ignored: PATHS, computed: 1 });
    expect(await analyzed(cache, worktree)).toEqual({ ignored: PATHS, computed: 0 });

    await sameSizeEdit(exclude, '/.env', '/.exx');
    expect(await analyzed(cache, worktree)).toEqual({ ignored: ['.env.ravi-tmp'], computed: 1 });
  });

  it('sees a path the index started to track (git add -f)', async () => {
    const repo = await createRepo();
    const worktree = await repo.addWorktree('feat');
    await writeFile(join(repo.commonDir, 'info', 'exclude'), '/.env\n*.ravi-tmp\n');
    const cache = new ReadCache<IgnoreAnalysis>(later);
    expect((await analyzed(cache, worktree)).ignored).toEqual(PATHS);

    await writeFile(join(worktree, '.env'), 'A=1\n');
    await repo.git('-C', worktree, 'add', '-f', '.env');
    expect(await analyzed(cache, worktree)).toEqual({ ignored: ['.env.ravi-tmp'], computed: 1 });
  });

  it('sees a .gitignore that appeared in the worktree and un-ignores the path', async () => {
    const repo = await createRepo();
    const worktree = await repo.addWorktree('feat');
    await writeFile(join(repo.commonDir, 'info', 'exclude'), '/.env\n*.ravi-tmp\n');
    const cache = new ReadCache<IgnoreAnalysis>(later);
    expect((await analyzed(cache, worktree)).ignored).toEqual(PATHS);

    await writeFile(join(worktree, '.gitignore'), '!.env\n');
    expect(await analyzed(cache, worktree)).toEqual({ ignored: ['.env.ravi-tmp'], computed: 1 });
  });

  it('is kept when git rewrites the repository config without changing what the answer takes from it (git branch -D)', async () => {
    const repo = await createRepo();
    const worktree = await repo.addWorktree('feat');
    await writeFile(join(repo.commonDir, 'info', 'exclude'), '/.env\n*.ravi-tmp\n');
    const cache = new ReadCache<IgnoreAnalysis>(later);
    expect(await analyzed(cache, worktree)).toEqual({ ignored: PATHS, computed: 1 });
    await repo.git('branch', '--quiet', 'gone');
    await repo.git('config', 'branch.gone.description', 'a section git removes with the branch');
    const config = join(repo.commonDir, 'config');
    const before = await stat(config);
    await repo.git('branch', '--quiet', '-D', 'gone');
    expect((await stat(config)).ino).not.toBe(before.ino); // rewritten whole (lock file renamed over it)
    expect(await analyzed(cache, worktree)).toEqual({ ignored: PATHS, computed: 0 });

    await repo.git('config', 'core.bare', 'true'); // what the answer does take from it: recomputed
    expect((await analyzed(cache, worktree)).computed).toBe(1);
  });

  it('keeps no answer that rests on a file written just now (racy: a same-size edit in the same clock tick would look unchanged)', async () => {
    const repo = await createRepo();
    const worktree = await repo.addWorktree('feat');
    await writeFile(join(repo.commonDir, 'info', 'exclude'), '/.env\n*.ravi-tmp\n');
    const cache = new ReadCache<IgnoreAnalysis>(); // the real clock: the worktree's .git file and index were written within the last 2 s
    expect(await analyzed(cache, worktree)).toEqual({ ignored: PATHS, computed: 1 });
    expect(cache.size).toBe(0);
    expect(await analyzed(cache, worktree)).toEqual({ ignored: PATHS, computed: 1 });
  });
});

describe('a pass with the daemon\'s memory', () => {
  it('sees an env file edited between two passes, and repairs it', async () => {
    const repo = await createRepo();
    const worktree = await repo.addWorktree('feat');
    const base = await createTempDir();
    const harness = createHarness(testConfig(stateDirIn(base), [repo.path]));
    const memory = new PassMemory({ now: later });
    const pass = () => runPass({ config: harness.config, provider: harness.provider, logger: silent, mode: 'apply', memory });
    await pass();
    const envFile = join(worktree, '.env');
    const written = await readFile(envFile, 'utf8');
    expect(written).toMatch(/^AGENT_EMAIL=.+$/m);
    expect((await pass()).plan.actions).toEqual([]);

    await writeFile(envFile, 'MINE=1\n');
    const third = await pass();
    expect(third.plan.actions.map((a) => a.type)).toContain('write-env');
    expect(await readFile(envFile, 'utf8')).toContain('MINE=1');
    expect(await readFile(envFile, 'utf8')).toMatch(/^AGENT_EMAIL=.+$/m);
  });

  it('reads early (while git lists) the folders the last pass read, and still serves added, moved and removed worktrees', async () => {
    const repo = await createRepo();
    const stays = await repo.addWorktree('stays');
    const moves = await repo.addWorktree('moves');
    const goes = await repo.addWorktree('goes');
    const base = await createTempDir();
    const harness = createHarness(testConfig(stateDirIn(base), [repo.path]));
    const memory = new PassMemory({ now: later });
    const pass = () => runPass({ config: harness.config, provider: harness.provider, logger: silent, mode: 'apply', memory });
    await pass();
    expect([...memory.begin([repo.path]).readFoldersBefore(repo.path)].sort()).toEqual([goes, moves, stays].sort());

    await writeFile(join(stays, '.env'), 'MINE=1\n'); // the early read of a folder must be of its file now
    await repo.removeWorktree(goes);
    const moved = join(base, 'moved');
    await repo.moveWorktree(moves, moved);
    const added = await repo.addWorktree('added');
    const second = await pass();
    const written = second.results.filter((r) => r.status === 'done' && r.action.type === 'write-env').map((r) => (r.action as { worktreePath: string }).worktreePath);
    expect(written.sort()).toEqual([added, stays].sort()); // moved: its file went with its folder and is still complete
    for (const folder of [stays, moved, added]) expect(await readFile(join(folder, '.env'), 'utf8')).toMatch(/^AGENT_EMAIL=.+$/m);
    expect(await readFile(join(stays, '.env'), 'utf8')).toContain('MINE=1');
    expect((await pass()).plan.actions).toEqual([]);
    expect([...memory.begin([repo.path]).readFoldersBefore(repo.path)].sort()).toEqual([added, moved, stays].sort());
  });

  it('reads the ledger again when another process wrote it, and keeps it open when nobody did', async () => {
    const repo = await createRepo();
    await repo.addWorktree('feat');
    const base = await createTempDir();
    const harness = createHarness(testConfig(stateDirIn(base), [repo.path]));
    const memory = new PassMemory({ now: later });
    const pass = () => runPass({ config: harness.config, provider: harness.provider, logger: silent, mode: 'apply', memory });
    await pass();
    const kept = memory.ledger;
    await pass();
    expect(memory.ledger).toBe(kept);

    // Another process (a one-shot command) writes the ledger between the daemon's passes.
    const other = await harness.ledger();
    other.releaseWorktree({ worktreeKey: 'elsewhere', commonDir: '/nowhere', adminId: 'x', worktreePath: '/nowhere/x', at: new Date().toISOString() });
    await other.flush();
    const after = await pass();
    expect(memory.ledger).not.toBe(kept);
    expect(after.observed.ledger.released.has('elsewhere')).toBe(true);
  });
});

describe('a kept ledger', () => {
  it('is not current while it holds a change that is not on disk', async () => {
    const base = await createTempDir();
    const ledger = await Ledger.open(stateDirIn(base), 'local');
    expect(await ledger.isCurrent()).toBe(true);
    ledger.releaseWorktree({ worktreeKey: 'k', commonDir: '/c', adminId: 'a', worktreePath: '/w', at: new Date().toISOString() });
    expect(await ledger.isCurrent()).toBe(false);
    await ledger.flush();
    expect(await ledger.isCurrent()).toBe(true);
  });
});
