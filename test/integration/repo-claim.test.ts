import { afterAll, describe, expect, it } from 'vitest';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { cleanupTempDirs, createRepo, createTempDir } from '../support/git-fixtures.js';
import { createHarness, testConfig } from '../support/engine-harness.js';
import { runPass } from '../../src/reconcile/engine.js';
import { releaseWorktree } from '../../src/reconcile/release.js';
import { disownRepo } from '../../src/reconcile/disown.js';
import { claimFile, claimRepo, RepoOwnedError } from '../../src/reconcile/repo-claim.js';
import { BLOCK_BEGIN } from '../../src/files/env-block.js';

afterAll(cleanupTempDirs);
const silent = pino({ level: 'silent' });

async function twoStateDirs() {
  const repo = await createRepo({ name: 'shared' });
  const worktree = await repo.addWorktree('feat');
  await writeFile(join(worktree, '.env'), 'MINE=1\n');
  const base = await createTempDir('ravi-claim-');
  const first = createHarness(testConfig(join(base, 'first'), [repo.path]));
  const second = createHarness(testConfig(join(base, 'second'), [repo.path]));
  return { repo, worktree, first, second };
}

describe('one state dir manages a repo at a time', () => {
  it('refuses a second state dir, naming the owner and how to hand over, and touches nothing', async () => {
    const { repo, worktree, first, second } = await twoStateDirs();
    await first.reconcile();
    expect(JSON.parse(await readFile(claimFile(repo.commonDir), 'utf8'))).toMatchObject({ stateDir: first.config.stateDir });
    const env = await readFile(join(worktree, '.env'), 'utf8');
    const report = await second.reconcile();
    expect(report.results).toEqual([]);
    expect(report.plan.problems.map((p) => p.message).join('\n')).toMatch(
      new RegExp(`is managed by the state dir ${first.config.stateDir} .*ravi-orchestrator disown --repo ".*" --state-dir "${first.config.stateDir}"`),
    );
    expect(await second.provider.listIdentities()).toEqual([]);
    expect(await readFile(join(worktree, '.env'), 'utf8')).toBe(env);
    await expect(releaseWorktree({ config: second.config, provider: second.provider, logger: silent, worktree })).rejects.toBeInstanceOf(RepoOwnedError);
    expect((await first.ledger()).leaseOf(`${repo.commonDir}::feat`)).toBeDefined();
  });

  it('hands over with disown: the leases end in the old state dir, the worktree is cleaned, the new one manages it', async () => {
    const { repo, worktree, first, second } = await twoStateDirs();
    await first.reconcile();
    const report = await disownRepo({ config: first.config, provider: first.provider, logger: silent, repo: repo.path });
    expect(report).toMatchObject({ released: ['ws-shared-feat'], claimRemoved: true });
    expect(await readFile(join(worktree, '.env'), 'utf8')).toBe('MINE=1\n');
    expect((await first.ledger()).identity('ws-shared-feat')?.lease).toBeNull();
    const taken = await second.reconcile();
    expect(taken.plan.problems).toEqual([]);
    expect(await readFile(join(worktree, '.env'), 'utf8')).toContain(BLOCK_BEGIN);
    expect(JSON.parse(await readFile(claimFile(repo.commonDir), 'utf8'))).toMatchObject({ stateDir: second.config.stateDir });
    const refusedNow = await first.reconcile();
    expect(refusedNow.results).toEqual([]);
    expect(refusedNow.plan.problems[0]?.message).toContain(second.config.stateDir);
  });

  it('says when the owner is gone, and --take-over manages the repo from here', async () => {
    const { repo, first, second } = await twoStateDirs();
    await first.reconcile();
    await rm(first.config.stateDir, { recursive: true, force: true });
    const refused = await second.reconcile();
    expect(refused.plan.problems[0]?.message).toMatch(/no longer exists here; if it is gone for good, pass --take-over/);
    const report = await runPass({ config: second.config, provider: second.provider, logger: silent, mode: 'apply', takeOver: true });
    expect(report.results.filter((r) => r.status !== 'done')).toEqual([]);
    expect(report.results.map((r) => r.action.type)).toContain('claim-repo');
    expect(JSON.parse(await readFile(claimFile(repo.commonDir), 'utf8'))).toMatchObject({ stateDir: second.config.stateDir });
    expect(await second.provider.listIdentities()).toHaveLength(1);
  });

  it('of two state dirs claiming at the same moment, exactly one wins', async () => {
    const { repo, first, second } = await twoStateDirs();
    const [a, b] = await Promise.all([first.reconcile(), second.reconcile()]);
    // The loser is refused when it observes the claim, or when its own exclusive claim finds it taken.
    const claims = [a, b].map((r) => r.results.find((x) => x.action.type === 'claim-repo')?.status ?? 'none');
    expect(claims.filter((c) => c === 'done')).toHaveLength(1);
    const owner = JSON.parse(await readFile(claimFile(repo.commonDir), 'utf8')) as { stateDir: string };
    const loser = owner.stateDir === first.config.stateDir ? second : first;
    expect(await loser.provider.listIdentities()).toEqual([]);
  });
});

describe('claimRepo', () => {
  it('is exclusive: of many claims at once one lands, the others get RepoOwnedError, and the file is whole', async () => {
    const repo = await createRepo({ name: 'race' });
    const base = await createTempDir('ravi-claim-race-');
    const outcomes = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => claimRepo(repo.commonDir, join(base, `s${i}`))));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(RepoOwnedError);
    const owner = JSON.parse(await readFile(claimFile(repo.commonDir), 'utf8')) as { stateDir: string };
    expect(owner.stateDir.startsWith(base)).toBe(true);
    expect(await repo.git('status', '--porcelain', '--ignored')).toBe('');
  });
});
