/**
 * A file of ours that vanished since the daemon's last pass is left alone while it settles
 * (src/reconcile/vanished-files.ts): written back into a folder that `git worktree remove` is deleting, it made
 * git's last rmdir fail. Real repos, real worktrees, the local provider; the pass's clock is the test's.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { parse } from 'dotenv';
import { cleanupTempDirs, createRepo, createTempDir, gitEnv } from '../support/git-fixtures.js';
import { createHarness, stateDirIn, testConfig } from '../support/engine-harness.js';
import { PassMemory } from '../../src/reconcile/pass-memory.js';
import { runPass } from '../../src/reconcile/engine.js';
import { Ledger } from '../../src/files/ledger.js';
import { createLogger } from '../../src/util/logger.js';

afterAll(cleanupTempDirs);

const silent = createLogger('silent');
const SETTLE_MS = 2_000;

async function setUp() {
  const repo = await createRepo();
  const worktree = await repo.addWorktree('feat');
  const base = await createTempDir();
  const harness = createHarness(testConfig(stateDirIn(base), [repo.path]));
  let clock = Date.now();
  const memory = new PassMemory({ settleMs: SETTLE_MS });
  const pass = (options: { memory?: PassMemory | undefined } = { memory }) =>
    runPass({ config: harness.config, provider: harness.provider, logger: silent, mode: 'apply', memory: options.memory, now: () => clock });
  const leaseOf = async () => (await Ledger.open(harness.config.stateDir, 'local')).identities().find((i) => i.lease?.worktreePath === worktree)?.email;
  const envFile = join(worktree, '.env');
  const emailIn = async () => parse(await readFile(envFile, 'utf8').catch(() => '')).AGENT_EMAIL;
  return { repo, worktree, envFile, pass, leaseOf, emailIn, tick: (ms: number) => (clock += ms) };
}

const writes = (report: Awaited<ReturnType<typeof runPass>>) => report.plan.actions.filter((a) => a.type === 'write-env').length;

describe('a file of ours that vanished since the daemon\'s last pass', () => {
  it('is left alone (the lease kept) until it has stayed gone for the settle time, then written again', async () => {
    const t = await setUp();
    const first = await t.pass();
    expect(writes(first)).toBe(1);
    expect(first.settlingUntil).toBeNull();
    const email = await t.emailIn();
    expect(email).toMatch(/@/);

    await rm(t.envFile);
    const held = await t.pass();
    expect(writes(held)).toBe(0);
    expect(held.observed.repos[0]?.worktrees.find((w) => w.worktree.path === t.worktree)?.settling).toBe(true);
    expect(held.settlingUntil).toBe(held.observed.now + SETTLE_MS);
    expect(await t.leaseOf()).toBe(email);
    await expect(stat(t.envFile)).rejects.toMatchObject({ code: 'ENOENT' });

    t.tick(SETTLE_MS - 1); // counted from the first pass that found it gone, not from the latest
    const still = await t.pass();
    expect(writes(still)).toBe(0);
    expect(still.settlingUntil).toBe(held.settlingUntil);

    t.tick(1);
    const settled = await t.pass();
    expect(writes(settled)).toBe(1);
    expect(settled.settlingUntil).toBeNull();
    expect(await t.emailIn()).toBe(email);
    expect(writes(await t.pass())).toBe(0);
  });

  it('adds nothing to a folder whose removal began before a pass, so git worktree remove finishes, and then the lease ends', async () => {
    const t = await setUp();
    await t.pass();
    const email = await t.emailIn();
    // git deletes the folder's entries one by one: a pass finds the .env gone and the worktree still listed.
    await rm(t.envFile);
    const before = (await readdir(t.worktree)).sort();
    expect(writes(await t.pass())).toBe(0);
    expect((await readdir(t.worktree)).sort()).toEqual(before); // no .env, no temp file: git's last rmdir can succeed
    const removed = await execa('git', ['worktree', 'remove', '--force', t.worktree], { cwd: t.repo.path, env: gitEnv, reject: false });
    expect(removed.exitCode, removed.stderr).toBe(0);
    await expect(stat(t.worktree)).rejects.toMatchObject({ code: 'ENOENT' });
    const after = await t.pass();
    expect(after.results.some((r) => r.status === 'done' && r.action.type === 'release-lease')).toBe(true);
    expect(await t.leaseOf()).toBeUndefined();
    expect(after.settlingUntil).toBeNull();
    await expect(stat(t.worktree)).rejects.toMatchObject({ code: 'ENOENT' }); // nothing made it again
    expect(email).toMatch(/@/);
  });

  it('holds back nothing that was never there, nor in a pass without the daemon\'s memory', async () => {
    const t = await setUp();
    expect(writes(await t.pass())).toBe(1); // a new worktree: its first .env at once
    const added = await t.repo.addWorktree('later');
    const second = await t.pass();
    expect(second.plan.actions.filter((a) => a.type === 'write-env').map((a) => a.worktreePath)).toEqual([added]);

    await rm(t.envFile);
    const oneShot = await t.pass({ memory: undefined }); // `reconcile`, a setup script's: writes at once
    expect(oneShot.plan.actions.filter((a) => a.type === 'write-env').map((a) => a.worktreePath)).toEqual([t.worktree]);
    expect(oneShot.settlingUntil).toBeNull();
    expect(await t.emailIn()).toMatch(/@/);
  });
});
