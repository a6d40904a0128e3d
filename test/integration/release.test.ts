import { afterAll, describe, expect, it } from 'vitest';
import { readFile, writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { cleanupTempDirs, createRepo, createTempDir } from '../support/git-fixtures.js';
import { createHarness, testConfig } from '../support/engine-harness.js';
import { releaseWorktree } from '../../src/reconcile/release.js';
import { BLOCK_BEGIN } from '../../src/files/env-block.js';

afterAll(cleanupTempDirs);

async function setup() {
  const repo = await createRepo({ name: 'tear' });
  const worktree = await repo.addWorktree('feature');
  const other = await repo.addWorktree('other');
  const stateDir = join(await createTempDir('ravi-release-'), 'state');
  const harness = createHarness(testConfig(stateDir, [repo.path], { orphans: { graceMs: 10 * 60_000 } }));
  await writeFile(join(worktree, '.env'), 'MINE=1\n');
  await harness.reconcile();
  return { repo, worktree, other, harness };
}

const release = (harness: Awaited<ReturnType<typeof setup>>['harness'], worktree: string) =>
  releaseWorktree({ config: harness.config, provider: harness.provider, logger: pino({ level: 'silent' }), worktree });

describe('release (teardown)', () => {
  it('ends the lease at once, ignoring the grace period: the identity goes back to the pool, the worktree is cleaned', async () => {
    const { worktree, harness } = await setup();
    const report = await release(harness, worktree);
    expect(report.released?.name).toBe('ws-tear-feature');
    // Nothing is deleted: the identity rests in the pool for the next worktree.
    expect((await harness.provider.listIdentities()).map((i) => i.name).sort()).toEqual(['ws-tear-feature', 'ws-tear-other']);
    expect((await harness.ledger()).identity('ws-tear-feature')).toMatchObject({ lease: null, lastHolder: { worktreePath: worktree } });
    const env = await readFile(join(worktree, '.env'), 'utf8');
    expect(env).toBe('MINE=1\n');
    expect(env).not.toContain(BLOCK_BEGIN);
  });

  it('takes the block out of a .env of odd bytes and lost end marker, and every user byte stays', async () => {
    const { worktree, harness } = await setup();
    const written = await readFile(join(worktree, '.env'));
    const blockStart = written.indexOf(BLOCK_BEGIN);
    // The user adds invalid UTF-8 and cuts our end marker off; lines of theirs now follow our values.
    const cut = written.subarray(blockStart, written.indexOf('# <<<'));
    const user = Buffer.from('LATIN=Jos\xe9\r\nAFTER_OURS=keep-me\n', 'latin1');
    await writeFile(join(worktree, '.env'), Buffer.concat([written.subarray(0, blockStart), cut, user]));
    const report = await release(harness, worktree);
    expect(report.envCleaned).toBe(true);
    expect((await readFile(join(worktree, '.env'))).equals(Buffer.concat([Buffer.from('MINE=1\n'), user]))).toBe(true);
  });

  it('is not undone by a reconcile while the worktree still exists, and a setup gives it its identity back', async () => {
    const { worktree, harness } = await setup();
    await release(harness, worktree);
    const pass = await harness.reconcile();
    expect(pass.plan.actions.filter((a) => a.type === 'create-identity' || a.type === 'lease-identity')).toEqual([]);
    expect((await harness.ledger()).identity('ws-tear-feature')?.lease).toBeNull();
    const setupPass = await harness.reconcile({ worktree });
    // Its own identity, without waiting out the quarantine, and nothing created.
    expect(setupPass.plan.actions.map((a) => a.type)).toEqual(['revive-worktree', 'lease-identity', 'write-env']);
    expect(await harness.provider.listIdentities()).toHaveLength(2);
    expect((await harness.ledger()).identity('ws-tear-feature')?.lease?.worktreePath).toBe(worktree);
    expect(await readFile(join(worktree, '.env'), 'utf8')).toContain(BLOCK_BEGIN);
  });

  it('forgets the released worktree once it is removed, and is a no-op when run twice', async () => {
    const { repo, worktree, harness } = await setup();
    await release(harness, worktree);
    expect((await release(harness, worktree)).released).toBeNull();
    await repo.removeWorktree(worktree, { force: true });
    await harness.reconcile();
    const ledger = await harness.ledger();
    expect(ledger.state().released.size).toBe(0);
    expect(ledger.identities().filter((i) => i.lease !== null).map((i) => i.lease?.adminId)).toEqual(['other']);
  });

  it('never touches another worktree, and owns nothing in the main worktree', async () => {
    const { repo, other, harness } = await setup();
    expect((await release(harness, repo.path)).released).toBeNull();
    expect(await harness.provider.listIdentities()).toHaveLength(2);
    expect((await stat(join(other, '.env'))).isFile()).toBe(true);
  });
});
