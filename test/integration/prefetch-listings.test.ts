/**
 * `reconcile` asks for the identity listing before the engine takes the state lock (src/cli/prefetch-listings.ts).
 * A pass uses that early answer only when no process of the state dir changed an identity since: real passes,
 * real repos, the fake Ravi server on loopback.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanupTempDirs, createRepo, createTempDir } from '../support/git-fixtures.js';
import type { FakeRaviServer } from '../support/fake-ravi-server.js';
import { fakeRaviPerTest } from '../support/fake-ravi-per-test.js';
import { createHarness, raviProviderConfig, testConfig } from '../support/engine-harness.js';
import { createRaviProvider } from '../../src/providers/ravi/ravi-provider.js';
import { createLocalProvider } from '../../src/providers/local/local-provider.js';
import { EARLY_LISTING_FRESH_MS, prefetchListings } from '../../src/cli/prefetch-listings.js';
import { acquireStateLock } from '../../src/files/state-lock.js';
import type { Config } from '../../src/config/types.js';
import { ledgerFileFor } from '../../src/files/ledger-types.js';

afterAll(cleanupTempDirs);

let server: FakeRaviServer;
fakeRaviPerTest((started) => (server = started));

async function setup(names: string[]) {
  const vault = server.addIdentity({ name: 'team-vault' });
  server.setSecret(vault.uuid, 'OPENAI_API_KEY', 'sk-test-prefetch');
  const repo = await createRepo({ name: 'app' });
  const worktrees: string[] = [];
  for (const name of names) worktrees.push(await repo.addWorktree(name));
  const base = await createTempDir('ravi-prefetch-');
  const credentialsFile = join(base, 'ravi-config.json');
  await writeFile(credentialsFile, JSON.stringify({ management_key: server.managementKey }), { mode: 0o600 });
  const config: Config = testConfig(join(base, 'state'), [repo.path], {
    provider: raviProviderConfig(server.url, credentialsFile), env: { secrets: ['OPENAI_API_KEY'] }, secrets: { vault: 'team-vault' },
  });
  const newProvider = () => createRaviProvider({ apiUrl: server.url, credentialsFile, provisionPhone: false, retry: { baseMs: 1, capMs: 5, attempts: 3 } });
  return { repo, worktrees, config, newProvider, credentialsFile, vault };
}

const listings = () => server.calls.filter((c) => c.method === 'GET' && c.path === '/api/identities/').length;

/** The early request reached the server (and, latency 0, was answered from what it held then). */
async function untilListed(count: number): Promise<void> {
  for (let i = 0; i < 500 && listings() < count; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(listings()).toBe(count);
}

describe('the identity listing asked for before the pass', () => {
  it('serves the pass when nothing changed: one identity listing and one vault listing for a whole `reconcile --worktree`', async () => {
    const { worktrees, config, newProvider } = await setup(['a']);
    server.resetCalls();
    const { provider } = prefetchListings(newProvider(), config);
    await untilListed(1);
    const report = await createHarness(config, provider).reconcile({ worktree: worktrees[0] });
    expect(report.results.map((r) => [r.action.type, r.status])).toContainEqual(['create-identity', 'done']);
    expect(listings()).toBe(1);
    expect(server.calls.filter((c) => c.method === 'GET' && c.path === '/api/secrets/')).toHaveLength(1);
  });

  it('is not used when another process changed the ledger since: the pass lists again and creates no duplicate', async () => {
    const { worktrees, config, newProvider } = await setup(['a', 'b', 'c']);
    // A ledger with a snapshot already: the other process's change below is then a journal append only.
    await createHarness(config, newProvider()).reconcile({ worktree: worktrees[2] });
    const snapshot = await stat(ledgerFileFor(config.stateDir, newProvider().ledgerScope));
    const early = prefetchListings(newProvider(), config).provider;
    await untilListed(1); // answered before `a` has an identity
    // Another process (a setup script in worktree a) provisions its worktree meanwhile.
    const other = await createHarness(config, newProvider()).reconcile({ worktree: worktrees[0] });
    expect(other.results.filter((r) => r.status !== 'done')).toEqual([]);
    expect((await stat(ledgerFileFor(config.stateDir, newProvider().ledgerScope))).ino).toBe(snapshot.ino); // same snapshot file
    const before = listings();
    const report = await createHarness(config, early).reconcile();
    expect(report.results.filter((r) => r.status !== 'done')).toEqual([]);
    expect(listings()).toBe(before + 1); // the early answer was set aside
    const names = server.identities().map((i) => i.name).filter((name) => name !== 'team-vault').sort();
    expect(names).toEqual(['ws-app-a', 'ws-app-b', 'ws-app-c']);
    expect(report.plan.actions.filter((a) => a.type === 'create-identity').map((a) => a.name)).toEqual(['ws-app-b']);
  });

  it('is not used once it is older than a few seconds (a pass that waited for the lock): the pass lists again', async () => {
    const { config, newProvider } = await setup([]);
    let clock = 1_000_000;
    const { provider } = prefetchListings(newProvider(), config, { now: () => clock });
    await untilListed(1);
    server.addIdentity({ name: 'made-meanwhile' });
    clock += EARLY_LISTING_FRESH_MS + 1;
    expect((await provider.listIdentities()).map((i) => i.name).sort()).toEqual(['made-meanwhile', 'team-vault']);
    expect(listings()).toBe(2);
  });

  it('set aside while still on its way, it is not shared: the pass\'s listing is a request of its own', async () => {
    const { config, newProvider } = await setup([]);
    let clock = 1_000_000;
    server.latencyMs = 300;
    const { provider } = prefetchListings(newProvider(), config, { now: () => clock });
    await untilListed(1); // received; its answer is still 300 ms away
    clock += EARLY_LISTING_FRESH_MS + 1;
    const again = provider.listIdentities();
    await untilListed(2);
    server.latencyMs = 0;
    expect((await again).map((i) => i.name)).toEqual(['team-vault']);
  });

  it('is not asked for while another process holds the state lock; a later call lists as usual', async () => {
    const { config, newProvider } = await setup([]);
    const provider = newProvider();
    const lock = await acquireStateLock(config.stateDir);
    try {
      expect(prefetchListings(provider, config).provider).toBe(provider);
    } finally {
      await lock.release();
    }
    server.resetCalls();
    const wrapped = prefetchListings(provider, config).provider;
    await untilListed(1);
    expect((await wrapped.listIdentities()).map((i) => i.name)).toEqual(['team-vault']);
    expect((await wrapped.listIdentities()).map((i) => i.name)).toEqual(['team-vault']);
    expect(listings()).toBe(2); // the second call is a listing of its own
  });

  it('says when both requests have left, long before their answers: the engine loads while they travel', async () => {
    const { config, newProvider, vault } = await setup([]);
    server.latencyMs = 400;
    // The vault named by its uuid: its secrets are asked for at once, beside the listing (vault-secrets.ts).
    const early = prefetchListings(newProvider(), { ...config, secrets: { ...config.secrets, vault: vault.uuid } });
    let answered = false;
    const answer = early.provider.listIdentities().then(() => (answered = true));
    await early.sent;
    expect(answered).toBe(false);
    // Both left, so both arrive (the server logs a call on arrival, before its latency), still unanswered.
    for (let i = 0; i < 100 && server.calls.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 2));
    expect(server.calls.map((c) => c.path).sort()).toEqual(['/api/identities/', '/api/secrets/']);
    expect(answered).toBe(false);
    await answer;
  });

  it('says so too when a request cannot leave (no credentials) or finds no server', async () => {
    const { config, credentialsFile } = await setup([]);
    const missing = createRaviProvider({ apiUrl: server.url, credentialsFile: join(config.stateDir, 'no-such-file.json'), provisionPhone: false });
    const withoutCredentials = prefetchListings(missing, config);
    await withoutCredentials.sent;
    await expect(withoutCredentials.provider.listIdentities()).rejects.toThrow(/does not exist/);
    const nobody = createRaviProvider({ apiUrl: 'http://127.0.0.1:9', credentialsFile, provisionPhone: false, retry: { attempts: 1 } });
    const refused = prefetchListings(nobody, config);
    await refused.sent;
    await expect(refused.provider.listIdentities()).rejects.toThrow(/Could not reach Ravi/);
  });

  it('leaves the local provider alone (its listing is a file on this machine)', async () => {
    const stateDir = join(await createTempDir('ravi-prefetch-local-'), 'state');
    const local = createLocalProvider({ stateDir });
    expect(prefetchListings(local, testConfig(stateDir, [])).provider).toBe(local);
  });
});
