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
  it('deletes the identity at once, ignoring the grace period, and cleans the worktree', async () => {
    const { worktree, harness } = await setup();
    const report = await release(harness, worktree);
    expect(report.released?.name).toBe('ws-tear-feature');
    expect((await harness.provider.listIdentities()).map((i) => i.name)).toEqual(['ws-tear-other']);
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

  it('is not undone by a reconcile while the worktree still exists, and a setup revives it', async () => {
    const { worktree, harness } = await setup();
    await release(harness, worktree);
    const pass = await harness.reconcile();
    expect(pass.plan.actions.filter((a) => a.type === 'create-identity')).toEqual([]);
    expect(await harness.provider.listIdentities()).toHaveLength(1);
    const setupPass = await harness.reconcile({ worktree });
    expect(setupPass.plan.actions.map((a) => a.type)).toContain('create-identity');
    expect((await harness.provider.listIdentities()).map((i) => i.name).sort()).toEqual(['ws-tear-feature', 'ws-tear-other']);
    expect(await readFile(join(worktree, '.env'), 'utf8')).toContain(BLOCK_BEGIN);
  });

  it('forgets the tombstone once the worktree is removed, and is a no-op when run twice', async () => {
    const { repo, worktree, harness } = await setup();
    await release(harness, worktree);
    expect((await release(harness, worktree)).released).toBeNull();
    await repo.removeWorktree(worktree, { force: true });
    await harness.reconcile();
    expect((await harness.ledger()).entries().map((e) => e.adminId)).toEqual(['other']);
  });

  it('never touches another worktree, and owns nothing in the main worktree', async () => {
    const { repo, other, harness } = await setup();
    expect((await release(harness, repo.path)).released).toBeNull();
    expect(await harness.provider.listIdentities()).toHaveLength(2);
    expect((await stat(join(other, '.env'))).isFile()).toBe(true);
  });
});
