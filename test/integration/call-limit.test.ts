/**
 * `concurrency` bounds the provider calls in flight, not the worktrees being worked on (call-limit.ts): the
 * fake Ravi server answers after a delay, and a counting provider around the real client sees how many of the
 * pass's mutating calls overlap.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanupTempDirs, createRepo, createTempDir } from '../support/git-fixtures.js';
import type { FakeRaviServer } from '../support/fake-ravi-server.js';
import { fakeRaviPerTest } from '../support/fake-ravi-per-test.js';
import { createHarness, raviProviderConfig, testConfig } from '../support/engine-harness.js';
import { createRaviProvider } from '../../src/providers/ravi/ravi-provider.js';
import type { Provider } from '../../src/providers/types.js';

afterAll(cleanupTempDirs);

let server: FakeRaviServer;
fakeRaviPerTest((started) => (server = started), { latencyMs: 40 });

/** The provider, with the most mutating calls seen in flight at once and the order they ended in. */
function counting(provider: Provider) {
  let inFlight = 0;
  const seen = { max: 0, ended: [] as string[] };
  const track = <T>(what: string, call: () => Promise<T>): Promise<T> => {
    inFlight++;
    seen.max = Math.max(seen.max, inFlight);
    return call().finally(() => {
      inFlight--;
      seen.ended.push(what);
    });
  };
  const wrapped: Provider = {
    ...provider,
    createIdentity: (request, options) => track(`create ${request.name}`, () => provider.createIdentity(request, options)),
    mintScopedKey: (uuid, label, options) => track(`key ${label}`, () => provider.mintScopedKey(uuid, label, options)),
  };
  return { wrapped, seen };
}

describe('provider calls in flight', () => {
  it.each([1, 3])('never more than concurrency = %i, and that many while there is work; every worktree provisioned', async (concurrency) => {
    const repo = await createRepo({ name: 'limit' });
    const worktrees: string[] = [];
    for (let i = 0; i < 8; i++) worktrees.push(await repo.addWorktree(`w${i}`));
    const base = await createTempDir('ravi-limit-');
    const credentialsFile = join(base, 'ravi-config.json');
    await writeFile(credentialsFile, JSON.stringify({ management_key: server.managementKey }), { mode: 0o600 });
    const pool = { quarantineMs: 0, keepIdle: Number.POSITIVE_INFINITY };
    const config = testConfig(join(base, 'state'), [repo.path], { provider: raviProviderConfig(server.url, credentialsFile), concurrency, pool });
    const { wrapped, seen } = counting(createRaviProvider({ apiUrl: server.url, credentialsFile, provisionPhone: false }));
    const harness = createHarness(config, wrapped);
    const report = await harness.reconcile();
    expect(report.results.filter((r) => r.status !== 'done')).toEqual([]);
    expect(seen.ended.filter((e) => e.startsWith('create'))).toHaveLength(8);
    // The fake's creates answer with the identity's key (api_key): the first leases need no mint call.
    expect(seen.ended.filter((e) => e.startsWith('key'))).toHaveLength(0);
    expect(seen.max).toBe(concurrency);

    // The lease path: 8 new worktrees take the 8 idle identities, a key minted for each.
    for (const worktree of worktrees) await repo.git('worktree', 'remove', '--force', worktree);
    await harness.reconcile();
    for (let i = 0; i < 8; i++) await repo.addWorktree(`again${i}`);
    seen.max = 0;
    seen.ended.length = 0;
    const leased = await harness.reconcile();
    expect(leased.results.filter((r) => r.status !== 'done')).toEqual([]);
    expect(seen.ended.filter((e) => e.startsWith('create'))).toHaveLength(0);
    expect(seen.ended.filter((e) => e.startsWith('key'))).toHaveLength(8);
    expect(seen.max).toBe(concurrency);
  });
});
