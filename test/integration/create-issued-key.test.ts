// A create's answer may carry the new identity's key (RAVI-CONTRACT.md: `api_key`, a `ravi_id_...` key): the
// first worktree of a new identity gets that key and no mint call; anything but an identity key is not taken.
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanupTempDirs, createRepo, createTempDir } from '../support/git-fixtures.js';
import { startFakeRaviServer, type FakeRaviServer } from '../support/fake-ravi-server.js';
import { createHarness, raviProviderConfig, testConfig } from '../support/engine-harness.js';
import { createRaviProvider } from '../../src/providers/ravi/ravi-provider.js';
import type { Config } from '../../src/config/types.js';

afterAll(cleanupTempDirs);

let server: FakeRaviServer;
beforeEach(async () => {
  server = await startFakeRaviServer();
});
afterEach(async () => {
  await server.close();
});

const FAST_RETRY = { baseMs: 1, capMs: 5, attempts: 4 };
const MINT = '/api/auth/keys/identity/';

async function setup(names: string[]) {
  const repo = await createRepo({ name: 'app' });
  const worktrees: string[] = [];
  for (const name of names) worktrees.push(await repo.addWorktree(name));
  const base = await createTempDir('ravi-state-');
  const credentialsFile = join(base, 'ravi-config.json');
  await writeFile(credentialsFile, JSON.stringify({ management_key: server.managementKey }), { mode: 0o600 });
  const config: Config = testConfig(join(base, 'state'), [repo.path], { provider: raviProviderConfig(server.url, credentialsFile), pool: { quarantineMs: 0, keepIdle: Number.POSITIVE_INFINITY } });
  const provider = createRaviProvider({ apiUrl: server.url, credentialsFile, provisionPhone: false, retry: FAST_RETRY });
  return { repo, worktrees, harness: createHarness(config, provider), provider };
}

async function scopedConfig(worktree: string): Promise<{ identity_key: string; identity_uuid: string; management_key?: string }> {
  return JSON.parse(await readFile(join(worktree, '.ravi', 'config.json'), 'utf8'));
}

/** What the API says the key may see of the identity listing: an identity key sees its own identity only. */
async function identitiesSeenWith(key: string): Promise<string[]> {
  const response = await fetch(`${server.url}/api/identities/`, { headers: { authorization: `Bearer ${key}` } });
  expect(response.status).toBe(200);
  return ((await response.json()) as { uuid: string }[]).map((identity) => identity.uuid);
}

describe('the key a create answers with', () => {
  it('is the first worktree\'s scoped key: no mint call, and the key acts as that identity only', async () => {
    const { worktrees, harness } = await setup(['a', 'b', 'c']);
    const report = await harness.reconcile();
    expect(report.results.filter((r) => r.status !== 'done')).toEqual([]);
    expect(server.calls.filter((c) => c.path === '/api/identities/' && c.method === 'POST')).toHaveLength(3);
    expect(server.calls.filter((c) => c.path === MINT)).toEqual([]);
    for (const worktree of worktrees) {
      const scoped = await scopedConfig(worktree);
      expect(scoped.management_key).toBeUndefined();
      expect(scoped.identity_key).toMatch(/^ravi_id_/);
      expect(await identitiesSeenWith(scoped.identity_key)).toEqual([scoped.identity_uuid]);
    }
    expect(new Set(await Promise.all(worktrees.map(async (w) => (await scopedConfig(w)).identity_key))).size).toBe(3);
  });

  it('serves one lease only: the next lease of that identity mints a key of its own', async () => {
    const { repo, worktrees, harness } = await setup(['first']);
    await harness.reconcile();
    const created = await scopedConfig(worktrees[0] as string);
    await repo.git('worktree', 'remove', '--force', worktrees[0] as string);
    await harness.reconcile(); // the lease ends; the identity rests in the pool (quarantine 0)
    const second = await repo.addWorktree('second');
    server.resetCalls();
    await harness.reconcile();
    expect(server.calls.filter((c) => c.method === 'POST').map((c) => c.path)).toEqual([MINT]);
    const leased = await scopedConfig(second);
    expect(leased.identity_uuid).toBe(created.identity_uuid);
    expect(leased.identity_key).not.toBe(created.identity_key);
    expect(await identitiesSeenWith(leased.identity_key)).toEqual([leased.identity_uuid]);
  });

  it('is minted again by a later pass when the first one could not write it', async () => {
    const { worktrees, harness } = await setup(['a']);
    const worktree = worktrees[0] as string;
    // A folder where the scoped config goes: the write fails, the key that came with the create is dropped.
    await rm(join(worktree, '.ravi'), { recursive: true, force: true });
    await writeFile(join(worktree, '.ravi'), 'not a folder\n');
    const first = await harness.reconcile();
    expect(first.results.some((r) => r.action.type === 'write-scoped-key' && r.status === 'failed')).toBe(true);
    await rm(join(worktree, '.ravi'));
    server.resetCalls();
    const second = await harness.reconcile();
    expect(second.results.filter((r) => r.status !== 'done')).toEqual([]);
    expect(server.calls.filter((c) => c.method === 'POST').map((c) => c.path)).toEqual([MINT]);
    const scoped = await scopedConfig(worktree);
    expect(await identitiesSeenWith(scoped.identity_key)).toEqual([scoped.identity_uuid]);
  });
});

describe('createIdentity', () => {
  it('hands back an identity key from the answer, and no other kind of key', async () => {
    const { provider } = await setup([]);
    const made = await provider.createIdentity({ name: 'with-key', provisionPhone: false });
    expect(made.scopedKey).toMatchObject({ identityUuid: made.uuid, key: expect.stringMatching(/^ravi_id_/) });
    for (const apiKey of ['ravi_mgmt_0123456789', '', 42, null]) {
      const uuid = `u-${String(apiKey)}`;
      server.failNext(1, { status: 201, body: { uuid, name: 'odd', inbox: 'odd@raviapp.com', phone: null, api_key: apiKey } }, { method: 'POST', pathPrefix: '/api/identities/' });
      const odd = await provider.createIdentity({ name: 'odd', provisionPhone: false });
      expect(odd.uuid).toBe(uuid);
      expect(odd.scopedKey).toBeUndefined();
    }
  });
});
