// A lease's key is asked for while its write-ahead record goes to disk (apply-early-keys.ts): one mint per lease,
// never two, the key written only into the worktree that holds the lease, and a key whose write is refused dropped.
import { afterAll, describe, expect, it } from 'vitest';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanupTempDirs, createRepo, createTempDir } from '../support/git-fixtures.js';
import type { FakeRaviServer } from '../support/fake-ravi-server.js';
import { fakeRaviPerTest } from '../support/fake-ravi-per-test.js';
import { createHarness, raviProviderConfig, testConfig } from '../support/engine-harness.js';
import { createRaviProvider } from '../../src/providers/ravi/ravi-provider.js';
import type { Provider } from '../../src/providers/types.js';

afterAll(cleanupTempDirs);

let server: FakeRaviServer;
fakeRaviPerTest((started) => (server = started), { latencyMs: 5 });

const MINT = '/api/auth/keys/identity/';

/** A repo whose `count` worktrees were provisioned and removed: `count` idle identities, quarantine 0. */
async function idlePool(count: number) {
  const repo = await createRepo({ name: 'early' });
  const first: string[] = [];
  for (let i = 0; i < count; i++) first.push(await repo.addWorktree(`old${i}`));
  const base = await createTempDir('ravi-early-');
  const credentialsFile = join(base, 'ravi-config.json');
  await writeFile(credentialsFile, JSON.stringify({ management_key: server.managementKey }), { mode: 0o600 });
  const pool = { quarantineMs: 0, keepIdle: Number.POSITIVE_INFINITY };
  const config = testConfig(join(base, 'state'), [repo.path], { provider: raviProviderConfig(server.url, credentialsFile), pool, concurrency: 2 });
  const minted: string[] = [];
  const raw = createRaviProvider({ apiUrl: server.url, credentialsFile, provisionPhone: false });
  const provider: Provider = { ...raw, mintScopedKey: (uuid, label, options) => (minted.push(label), raw.mintScopedKey(uuid, label, options)) };
  const harness = createHarness(config, provider);
  await harness.reconcile();
  for (const worktree of first) await repo.git('worktree', 'remove', '--force', worktree);
  await harness.reconcile();
  minted.length = 0;
  server.resetCalls();
  return { repo, harness, minted };
}

async function scoped(worktree: string): Promise<{ identity_key: string; identity_uuid: string; identity_name: string }> {
  return JSON.parse(await readFile(join(worktree, '.ravi', 'config.json'), 'utf8'));
}

async function seenWith(key: string): Promise<string[]> {
  const response = await fetch(`${server.url}/api/identities/`, { headers: { authorization: `Bearer ${key}` } });
  return ((await response.json()) as { uuid: string }[]).map((identity) => identity.uuid);
}

describe('lease keys asked for while the write-ahead is written', () => {
  it('mints one key per lease, labelled with that lease, each acting as its worktree\'s identity only', async () => {
    const { repo, harness, minted } = await idlePool(5);
    const fresh: string[] = [];
    for (let i = 0; i < 5; i++) fresh.push(await repo.addWorktree(`new${i}`));
    const report = await harness.reconcile();
    expect(report.results.filter((r) => r.status !== 'done')).toEqual([]);
    expect(server.calls.filter((c) => c.method === 'POST').map((c) => c.path)).toEqual(Array(5).fill(MINT));
    const leases = report.results.filter((r) => r.action.type === 'lease-identity');
    expect(leases).toHaveLength(5);
    const files = await Promise.all(fresh.map(scoped));
    expect(new Set(files.map((f) => f.identity_uuid)).size).toBe(5);
    for (const file of files) {
      expect(await seenWith(file.identity_key)).toEqual([file.identity_uuid]);
      expect(minted.filter((label) => label.startsWith(`ravi-orchestrator ${file.identity_name} lease `))).toHaveLength(1);
    }
  });

  it('drops the key of a worktree that refuses the write, and the next pass mints one that lands', async () => {
    const { repo, harness, minted } = await idlePool(1);
    const worktree = await repo.addWorktree('refusing');
    await rm(join(worktree, '.ravi'), { recursive: true, force: true });
    await writeFile(join(worktree, '.ravi'), 'not a folder\n');
    const first = await harness.reconcile();
    expect(first.results.find((r) => r.action.type === 'write-scoped-key')?.status).toBe('failed');
    expect(first.results.find((r) => r.action.type === 'write-env')?.status).toBe('skipped');
    expect(minted).toHaveLength(1); // asked for early, then not written anywhere
    await rm(join(worktree, '.ravi'));
    const second = await harness.reconcile();
    expect(second.results.filter((r) => r.status !== 'done')).toEqual([]);
    expect(minted).toHaveLength(2);
    const file = await scoped(worktree);
    expect(await seenWith(file.identity_key)).toEqual([file.identity_uuid]);
  });

  it('a failed early mint fails its worktree as a mint in the step did, and the others go on', async () => {
    const { repo, harness } = await idlePool(2);
    const a = await repo.addWorktree('a');
    const b = await repo.addWorktree('b');
    server.failNext(1, { status: 400, body: { detail: 'Invalid label.' } }, { method: 'POST', pathPrefix: MINT });
    const report = await harness.reconcile();
    const keySteps = report.results.filter((r) => r.action.type === 'write-scoped-key');
    expect(keySteps.map((r) => r.status).sort()).toEqual(['done', 'failed']);
    const failedPath = (keySteps.find((r) => r.status === 'failed')?.action as { worktreePath: string }).worktreePath;
    const donePath = failedPath === a ? b : a;
    const file = await scoped(donePath);
    expect(await seenWith(file.identity_key)).toEqual([file.identity_uuid]);
    await expect(readFile(join(failedPath, '.ravi', 'config.json'), 'utf8')).rejects.toThrow();
    const again = await harness.reconcile();
    expect(again.results.filter((r) => r.status !== 'done')).toEqual([]);
  });
});
