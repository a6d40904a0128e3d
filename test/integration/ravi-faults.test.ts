import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { cleanupTempDirs, createRepo, createTempDir } from '../support/git-fixtures.js';
import { startFakeRaviServer, type FakeRaviServer } from '../support/fake-ravi-server.js';
import { createHarness, raviProviderConfig, testConfig } from '../support/engine-harness.js';
import { createRaviProvider } from '../../src/providers/ravi/ravi-provider.js';

afterAll(cleanupTempDirs);

let server: FakeRaviServer;
beforeEach(async () => {
  server = await startFakeRaviServer({ pagination: 'page' });
});
afterEach(async () => {
  await server.close();
});

async function setup(names: string[], fetchTimeoutMs = 15_000) {
  const repo = await createRepo({ name: 'faulty' });
  const worktrees: string[] = [];
  for (const name of names) worktrees.push(await repo.addWorktree(name));
  const base = await createTempDir('ravi-faults-');
  const credentialsFile = join(base, 'ravi.json');
  await writeFile(credentialsFile, JSON.stringify({ management_key: server.managementKey }), { mode: 0o600 });
  const config = testConfig(join(base, 'state'), [repo.path], { provider: raviProviderConfig(server.url, credentialsFile), orphans: { graceMs: 0 } });
  const provider = createRaviProvider({ apiUrl: server.url, credentialsFile, provisionPhone: false, retry: { baseMs: 1, capMs: 5, attempts: 3 }, fetchTimeoutMs });
  return { repo, worktrees, harness: createHarness(config, provider) };
}

const ownIdentities = () => server.identities().filter((i) => i.name.startsWith('ws-faulty-'));

describe('fault injection against the Ravi API', () => {
  it('a create that succeeds server-side but whose response is lost is adopted, never duplicated', async () => {
    const { worktrees, harness } = await setup(['lost']);
    server.failNext(1, 'drop-response', { method: 'POST', pathPrefix: '/api/identities/' });
    const first = await harness.reconcile();
    expect(first.results.find((r) => r.action.type === 'create-identity')?.status).toBe('failed');
    expect(ownIdentities()).toHaveLength(1); // it exists, though we never heard so
    const second = await harness.reconcile();
    expect(second.plan.actions.map((a) => a.type)).toContain('adopt-identity');
    expect(ownIdentities()).toHaveLength(1);
    expect(parse(await readFile(join(worktrees[0] as string, '.env'), 'utf8')).AGENT_EMAIL).toBe(ownIdentities()[0]?.inbox);
  });

  it('a page missing from the identity listing never reads as our identities being gone', async () => {
    for (let i = 0; i < 230; i += 1) server.addIdentity({ name: `other-${i}` });
    const { worktrees, harness } = await setup(['a', 'b']);
    await harness.reconcile();
    server.resetCalls();
    // Our two identities sit on page 2 (offset 200), which comes back empty and claims to be the last.
    server.failNext(1, { status: 200, body: { count: 232, next: null, previous: null, results: [] } }, { method: 'GET', pathPrefix: '/api/identities/', query: { offset: '200' } });
    const report = await harness.reconcile();
    expect(report.plan.problems.map((p) => p.message).join('\n')).toMatch(/listing is incomplete: 200 of the 232/);
    expect(report.results.filter((r) => r.action.type === 'forget-identity' || r.action.type === 'create-identity')).toEqual([]);
    expect(server.mutatingCalls()).toBe(0);
    const ledger = await harness.ledger();
    expect(ledger.identities().map((i) => i.lease?.worktreePath).sort()).toEqual([...worktrees].sort());
    expect(server.identities()).toHaveLength(232);
  });

  it('truncated or malformed JSON is a failed listing, not an empty one', async () => {
    const { repo, worktrees, harness } = await setup(['a', 'b']);
    await harness.reconcile();
    await repo.removeWorktree(worktrees[0] as string, { force: true });
    server.failNext(3, { status: 200, raw: '{"count": 2, "next": null, "results": [{"uuid": "abc' }, { method: 'GET', pathPrefix: '/api/identities/' });
    const report = await harness.reconcile();
    expect(report.plan.problems.map((p) => p.message).join('\n')).toMatch(/Listing identities failed/);
    expect(server.calls.filter((c) => c.method === 'DELETE')).toHaveLength(0);
    expect(ownIdentities()).toHaveLength(2);
  });

  it('connection resets and 5xx on every call of a pass leave everything as it was', async () => {
    const { worktrees, harness } = await setup(['a']);
    await harness.reconcile();
    const before = await readFile(join(worktrees[0] as string, '.env'), 'utf8');
    server.failNext(100, 'reset');
    const report = await harness.reconcile();
    expect(report.plan.problems.length).toBeGreaterThan(0);
    expect(await readFile(join(worktrees[0] as string, '.env'), 'utf8')).toBe(before);
    expect(ownIdentities()).toHaveLength(1);
  });

  it('a request that times out is retried and the pass completes', async () => {
    const { harness } = await setup(['slow'], 300);
    server.failNext(1, { delayMs: 1_500 }, { method: 'GET', pathPrefix: '/api/identities/' });
    const report = await harness.reconcile();
    expect(report.plan.problems).toEqual([]);
    expect(server.calls.filter((c) => c.method === 'GET' && c.path === '/api/identities/').length).toBeGreaterThanOrEqual(2);
    expect(ownIdentities()).toHaveLength(1);
  });
});
