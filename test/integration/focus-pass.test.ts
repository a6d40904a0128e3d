/**
 * The daemon's focused pass (src/reconcile/focus-pass.ts) against real repos and worktrees, the local provider:
 * it gives the named worktrees exactly what a full pass would (compared with a full pass planned just before),
 * the full pass after it plans nothing for them, it reads nothing of the other worktrees, and it leaves to the
 * full pass whatever entry is not plain (locked, half-made, gone, released by teardown).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parse } from 'dotenv';
import { cleanupTempDirs, createRepo, createTempDir } from '../support/git-fixtures.js';
import { createHarness, testConfig } from '../support/engine-harness.js';
import { createLogger } from '../../src/util/logger.js';
import { runFocusedPass } from '../../src/reconcile/focus-pass.js';
import { releaseWorktree } from '../../src/reconcile/release.js';
import { PortLedger } from '../../src/ports/port-ledger.js';
import { actionTarget, type Action } from '../../src/reconcile/actions.js';
import { worktreeKey } from '../../src/files/ledger.js';
import type { Config } from '../../src/config/types.js';
import { freePortRange } from '../support/free-ports.js';

afterAll(cleanupTempDirs);

const logger = createLogger('silent');

async function setup(names: string[], overrides: Parameters<typeof testConfig>[2] = {}) {
  const repo = await createRepo({ name: 'app' });
  const worktrees: string[] = [];
  for (const name of names) worktrees.push(await repo.addWorktree(name));
  const stateDir = join(await createTempDir('ravi-focus-'), 'state');
  const harness = createHarness(testConfig(stateDir, [repo.path], overrides));
  const focused = (adminIds: string[], config: Config = harness.config) =>
    runFocusedPass({ config, provider: harness.provider, logger, mode: 'apply', adminIds });
  /** What a full pass would do for `key` now (planned only), to compare a focused pass with. */
  const fullPlanFor = async (key: string) => (await harness.plan()).plan.actions.filter((a) => actionTarget(a)?.key === key).map(summary);
  return { repo, worktrees, harness, focused, fullPlanFor };
}

/** An action without what differs between two plans of the same change (nothing, today: kept for clarity). */
const summary = (action: Action) => ({ type: action.type, name: 'name' in action ? action.name : null });
const emailOf = async (worktree: string) => parse(await readFile(join(worktree, '.env'), 'utf8').catch(() => '')).AGENT_EMAIL;

describe('a focused pass', () => {
  it('gives a new worktree the lease and files the full pass would, and the full pass after plans nothing for it', async () => {
    const { repo, harness, focused, fullPlanFor } = await setup(['one', 'two']);
    await harness.reconcile();
    const added = await repo.addWorktree('three');
    const key = worktreeKey(repo.commonDir, 'three');
    const expected = await fullPlanFor(key);
    expect(expected.map((a) => a.type)).toContain('create-identity');

    const report = await focused(['three']);
    expect(report?.keys).toEqual([key]);
    expect(report?.plan.actions.filter((a) => a.type !== 'ensure-excluded').map(summary)).toEqual(expected);
    expect(report?.results.filter((r) => r.status !== 'done')).toEqual([]);
    expect(await emailOf(added)).toMatch(/@/);

    const after = await harness.reconcile();
    expect(after.plan.actions).toEqual([]);
  });

  it('leases an idle identity from the pool exactly as the full pass would', async () => {
    const { repo, worktrees, harness, focused, fullPlanFor } = await setup(['one', 'two'], { pool: { quarantineMs: 0, keepIdle: 5 } });
    await harness.reconcile();
    await repo.removeWorktree(worktrees[1] as string);
    await harness.reconcile(); // grace 0: the lease of two ends, its identity rests in the pool
    const added = await repo.addWorktree('four');
    const key = worktreeKey(repo.commonDir, 'four');
    const expected = await fullPlanFor(key);
    expect(expected.map((a) => a.type)).toContain('lease-identity');

    const report = await focused(['four']);
    expect(report?.plan.actions.filter((a) => a.type !== 'ensure-excluded').map(summary)).toEqual(expected);
    expect(await emailOf(added)).toMatch(/@/);
    expect((await harness.reconcile()).plan.actions).toEqual([]);
  });

  it('serves two worktrees added at once, each with its own identity', async () => {
    const { repo, harness, focused } = await setup(['one']);
    await harness.reconcile();
    const added = [await repo.addWorktree('two'), await repo.addWorktree('three')];
    const report = await focused(['two', 'three']);
    expect(report?.keys).toHaveLength(2);
    const emails = await Promise.all(added.map(emailOf));
    expect(emails.every((email) => email?.includes('@'))).toBe(true);
    expect(new Set(emails).size).toBe(2);
    expect((await harness.reconcile()).plan.actions).toEqual([]);
  });

  it('treats a new worktree that reuses a removed one\'s admin id as the full pass does (its lease still in the grace period)', async () => {
    const { repo, worktrees, harness, focused, fullPlanFor } = await setup(['one', 'reused'], { orphans: { graceMs: 3_600_000 } });
    await harness.reconcile();
    const before = await emailOf(worktrees[1] as string);
    await repo.removeWorktree(worktrees[1] as string);
    await harness.reconcile(); // the lease is marked orphaned, kept for the grace period
    const elsewhere = await repo.addWorktree('reused', { path: join('elsewhere', 'reused'), branch: 'reused-again' });
    expect(basename(elsewhere)).toBe('reused');
    const key = worktreeKey(repo.commonDir, 'reused');
    const expected = await fullPlanFor(key);
    expect(expected.map((a) => a.type)).toEqual(expect.arrayContaining(['update-lease', 'clear-orphan']));

    const report = await focused(['reused']);
    expect(report?.plan.actions.filter((a) => a.type !== 'ensure-excluded').map(summary)).toEqual(expected);
    expect(await emailOf(elsewhere)).toBe(before);
    expect((await harness.reconcile()).plan.actions).toEqual([]);
  });

  it('reads no other worktree\'s files and ends no other lease', async () => {
    const { repo, worktrees, harness, focused } = await setup(['one', 'two']);
    await harness.reconcile();
    // An env file no pass can read (a folder): the full pass reports it, a pass that never looks cannot.
    await rm(join(worktrees[0] as string, '.env'));
    await mkdir(join(worktrees[0] as string, '.env'));
    // And a worktree gone without a word (grace 0): the full pass ends its lease, a focused one never does.
    await repo.removeWorktree(worktrees[1] as string);
    const full = await harness.plan();
    expect(full.plan.problems.map((p) => p.worktreePath)).toContain(worktrees[0]);
    expect(full.plan.actions.map((a) => a.type)).toContain('release-lease');

    await repo.addWorktree('three');
    const report = await focused(['three']);
    expect(report?.observed?.repos[0]?.worktrees.map((w) => w.worktree.adminId)).toEqual(['three']);
    expect(report?.plan.problems).toEqual([]);
    expect(report?.plan.actions.map((a) => a.type)).not.toContain('release-lease');
    expect((await harness.ledger()).identities().filter((i) => i.lease !== null)).toHaveLength(3);
  });

  it('never hands out the identity of a worktree it did not list, even one the full pass would release and lease again', async () => {
    const { repo, worktrees, harness, focused, fullPlanFor } = await setup(['one', 'two'], { pool: { quarantineMs: 0, keepIdle: 5 } });
    await harness.reconcile();
    const twos = await emailOf(worktrees[1] as string);
    await repo.removeWorktree(worktrees[1] as string); // grace 0, quarantine 0: a full pass would release it and lease it on
    const added = await repo.addWorktree('three');
    const key = worktreeKey(repo.commonDir, 'three');
    expect((await fullPlanFor(key)).map((a) => a.type)).toContain('lease-identity');

    const report = await focused(['three']);
    expect(report?.plan.actions.map((a) => a.type)).not.toContain('lease-identity');
    expect(report?.plan.actions.map((a) => a.type)).toContain('create-identity');
    expect(await emailOf(added)).not.toBe(twos);
    const ledger = await harness.ledger();
    expect(ledger.identities().find((i) => i.email === twos)?.lease?.worktreeKey).toBe(worktreeKey(repo.commonDir, 'two'));
    await harness.reconcile(); // the full pass sees two gone: its identity rests in the pool
    expect((await harness.ledger()).identities().find((i) => i.email === twos)?.lease).toBeNull();
  });

  it('never hands out the port block of a worktree it did not list, even one the full pass would release', async () => {
    // Room for two blocks: both taken, so a third worktree gets one only by ending another's.
    const [first, last] = await freePortRange(4);
    const { repo, worktrees, harness, focused } = await setup(['one', 'two'], { ports: { first, last, perWorktree: 2 } });
    await harness.reconcile();
    const blocksNow = async () => [...(await PortLedger.open(harness.config.stateDir)).state().blocks.values()].map((b) => `${basename(b.worktreePath)}:${b.first}`).sort();
    const before = await blocksNow();
    expect(before).toEqual([`one:${first}`, `two:${first + 2}`]);
    await repo.removeWorktree(worktrees[1] as string); // grace 0: the full pass releases its block, and may reuse it
    const added = await repo.addWorktree('three');
    const report = await focused(['three']);
    expect(report?.plan.actions.map((a) => a.type)).not.toContain('assign-ports');
    expect(report?.plan.problems.map((p) => p.message).join('\n')).toMatch(/ports\.range .* all are taken/);
    expect(await blocksNow()).toEqual(before);

    await harness.reconcile(); // the full pass sees two gone: its block goes to three
    expect((await blocksNow()).map((b) => b.split(':')[0])).toEqual(['one', 'three']);
    expect(await emailOf(added)).toMatch(/@/);
  });

  it('leaves a locked, half-made, vanished or teardown-released entry to the full pass', async () => {
    const { repo, harness, focused } = await setup(['one']);
    await harness.reconcile();
    const locked = await repo.addWorktree('locked');
    await repo.lockWorktree(locked, 'on a stick');
    // Half-made: git's `worktree add` writes gitdir after creating the folder.
    await mkdir(join(repo.commonDir, 'worktrees', 'half'));
    const report = await focused(['locked', 'half', 'vanished']);
    expect(report?.keys).toEqual([]);
    expect(Object.fromEntries(report?.skipped ?? [])).toEqual({ locked: 'locked', half: 'half-made', vanished: 'gone' });
    expect(await emailOf(locked)).toBeUndefined();

    const plain = await repo.addWorktree('plain');
    const mixed = await focused(['locked', 'plain']);
    expect(mixed?.keys).toEqual([worktreeKey(repo.commonDir, 'plain')]);
    expect(Object.fromEntries(mixed?.skipped ?? [])).toEqual({ locked: 'locked' });
    expect(await emailOf(plain)).toMatch(/@/);
    await rm(join(repo.commonDir, 'worktrees', 'half'), { recursive: true });
  });

  it('does not give a worktree a teardown released an identity again (only `reconcile --worktree` does)', async () => {
    const { repo, worktrees, harness, focused } = await setup(['one']);
    await harness.reconcile();
    await releaseWorktree({ config: harness.config, provider: harness.provider, logger, worktree: worktrees[0] as string });
    expect(Object.fromEntries((await focused(['one']))?.skipped ?? [])).toEqual({ one: 'released by teardown' });
    expect((await harness.ledger()).identities().filter((i) => i.lease !== null)).toHaveLength(0);
    expect(repo.commonDir).not.toBe('');
  });

  it('declines a repo it cannot read in-process, leaving all to the full pass', async () => {
    const { repo, harness, focused } = await setup(['one']);
    await harness.reconcile();
    await repo.addWorktree('two');
    // A folder that is no repo: nothing to read in-process, so nothing is done here (the full pass reports it).
    const config = { ...harness.config, repos: [join(repo.root, 'not-a-repo')] };
    expect(await focused(['two'], config)).toBeNull();
    expect(await focused([])).toBeNull();
  });
});
