import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { cleanupTempDirs, createRepo, createTempDir } from '../support/git-fixtures.js';
import { startFakeRaviServer, type FakeRaviServer } from '../support/fake-ravi-server.js';
import { createHarness, raviProviderConfig, testConfig } from '../support/engine-harness.js';
import { createRaviProvider } from '../../src/providers/ravi/ravi-provider.js';
import type { Config } from '../../src/config/types.js';

afterAll(cleanupTempDirs);

let server: FakeRaviServer;
beforeEach(async () => {
  server = await startFakeRaviServer({ pagination: 'page' });
});
afterEach(async () => {
  await server.close();
});

const FAST_RETRY = { baseMs: 1, capMs: 5, attempts: 4 };

async function setup(names: string[], overrides: Parameters<typeof testConfig>[2] = {}) {
  const repo = await createRepo({ name: 'app' });
  const worktrees: string[] = [];
  for (const name of names) worktrees.push(await repo.addWorktree(name));
  const base = await createTempDir('ravi-state-');
  const credentialsFile = join(base, 'ravi-config.json');
  await writeFile(credentialsFile, JSON.stringify({ management_key: server.managementKey, user_email: 'me@example.com' }), { mode: 0o600 });
  const config: Config = testConfig(join(base, 'state'), [repo.path], { provider: raviProviderConfig(server.url, credentialsFile), ...overrides });
  const provider = createRaviProvider({ apiUrl: server.url, credentialsFile, provisionPhone: false, retry: FAST_RETRY });
  return { repo, worktrees, harness: createHarness(config, provider) };
}

async function fetchJson(path: string, key: string): Promise<unknown> {
  const response = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
  return response.json();
}

describe('reconcile against the Ravi API', () => {
  it('writes a scoped key per worktree that reads that agent\'s inbox and no other', async () => {
    const { repo, worktrees, harness } = await setup(['a', 'b']);
    const report = await harness.reconcile();
    expect(report.results.filter((r) => r.status !== 'done')).toEqual([]);
    const [a, b] = await Promise.all(worktrees.map(async (w) => JSON.parse(await readFile(join(w, '.ravi', 'config.json'), 'utf8'))));
    expect(a.management_key).toBeUndefined();
    expect(a.identity_key).toMatch(/^ravi_id_/);
    expect(a.identity_uuid).not.toBe(b.identity_uuid);
    expect((await stat(join(worktrees[0] as string, '.ravi', 'config.json'))).mode & 0o777).toBe(0o600);
    server.addEmail(a.identity_uuid, { subject: 'code for a', text_content: '111111' });
    server.addEmail(b.identity_uuid, { subject: 'code for b', text_content: '222222' });
    const inbox = (await fetchJson('/api/email-messages/?is_read=false', a.identity_key)) as { results?: unknown[] } | unknown[];
    const messages = (Array.isArray(inbox) ? inbox : (inbox.results ?? [])) as Array<{ subject: string }>;
    expect(messages.map((m) => m.subject)).toEqual(['code for a']);
    const env = parse(await readFile(join(worktrees[0] as string, '.env'), 'utf8'));
    expect(env.AGENT_EMAIL).toBe(server.identities().find((i) => i.uuid === a.identity_uuid)?.inbox);
    for (const worktree of worktrees) expect(await repo.git('-C', worktree, 'status', '--porcelain', '--untracked-files=all')).toBe('');
  });

  it('makes zero mutating API calls on a second pass', async () => {
    const { harness } = await setup(['a', 'b', 'c']);
    await harness.reconcile();
    server.resetCalls();
    const second = await harness.reconcile();
    expect(second.plan.actions).toEqual([]);
    expect(server.mutatingCalls()).toBe(0);
    expect(server.calls.length).toBeGreaterThan(0);
  });

  it('retries 429 and 5xx, and finishes', async () => {
    const { harness } = await setup(['a']);
    server.failNext(1, { status: 429, body: { detail: 'slow down', retry_after_seconds: 0 } }, { method: 'POST' });
    server.failNext(2, { status: 503, body: { detail: 'maintenance' } }, { method: 'GET' });
    const report = await harness.reconcile();
    expect(report.results.every((r) => r.status === 'done')).toBe(true);
    expect(server.identities()).toHaveLength(1);
  });

  it('isolates one worktree\'s failure: the others are provisioned and the failure is reported', async () => {
    const { harness } = await setup(['a', 'b', 'c']);
    server.failNext(1, { status: 402, body: { detail: 'Upgrade your plan' } }, { method: 'POST', pathPrefix: '/api/identities/' });
    const report = await harness.reconcile();
    const failed = report.results.filter((r) => r.status === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.error?.message).toMatch(/paid Ravi plan/);
    expect(server.identities()).toHaveLength(2);
    await harness.reconcile();
    expect(server.identities()).toHaveLength(3);
  });

  it('fails fast on 401 with what to do, and creates nothing', async () => {
    const { harness } = await setup(['a']);
    server.failNext(1, { status: 401, body: { detail: 'Invalid token' } });
    const report = await harness.reconcile();
    expect(report.plan.problems.map((p) => p.message).join('\n')).toMatch(/ravi auth login/);
    expect(server.calls.filter((c) => c.method === 'GET' && c.path === '/api/identities/')).toHaveLength(1);
    expect(server.identities()).toHaveLength(0);
  });

  it('keeps a removed worktree\'s identity in the pool (Ravi identities are permanent) and never touches foreign ones', async () => {
    for (let i = 0; i < 260; i += 1) server.addIdentity({ name: `someone-else-${i}` });
    const { repo, worktrees, harness } = await setup(['a'], { orphans: { graceMs: 0 } });
    await harness.reconcile();
    await repo.removeWorktree(worktrees[0] as string, { force: true });
    const report = await harness.reconcile();
    expect(report.results.map((r) => [r.action.type, r.status])).toEqual([['mark-orphan', 'done'], ['release-lease', 'done']]);
    expect(server.identities()).toHaveLength(261);
    expect(server.calls.filter((c) => c.method === 'DELETE')).toHaveLength(0);
    expect((await harness.ledger()).identity('ws-app-a')?.lease).toBeNull();
  });

  it('forgets and re-creates nothing when the listing suddenly holds none of the owned identities', async () => {
    const { repo, worktrees, harness } = await setup(['a', 'b'], { orphans: { graceMs: 0 }, pool: { quarantineMs: 0, keepIdle: 0 } });
    await harness.reconcile();
    await repo.removeWorktree(worktrees[0] as string, { force: true });
    server.failNext(1, { status: 200, body: [] }, { method: 'GET', pathPrefix: '/api/identities/' });
    const report = await harness.reconcile();
    expect(report.results.filter((r) => ['delete-identity', 'create-identity', 'forget-identity'].includes(r.action.type))).toEqual([]);
    expect(server.calls.filter((c) => c.method === 'DELETE')).toHaveLength(0);
    expect(server.identities()).toHaveLength(2);
    expect((await harness.ledger()).identities()).toHaveLength(2);
  });

  it('copies the vault identity\'s secrets and keeps them out of logs and output', async () => {
    const vault = server.addIdentity({ name: 'team-vault' });
    server.setSecret(vault.uuid, 'OPENAI_API_KEY', 'sk-live-secret-123');
    const { worktrees, harness } = await setup(['a'], { env: { secrets: ['OPENAI_API_KEY'] }, secrets: { vault: 'team-vault' } });
    const report = await harness.reconcile();
    expect(parse(await readFile(join(worktrees[0] as string, '.env'), 'utf8')).OPENAI_API_KEY).toBe('sk-live-secret-123');
    const everything = harness.logs.join('') + JSON.stringify(report.plan) + JSON.stringify(report.results);
    expect(everything).not.toContain('sk-live-secret-123');
    expect(everything).not.toContain(server.managementKey);
    expect(everything).not.toMatch(/ravi_id_[0-9a-f]{8}/);
    expect(server.identities().map((i) => i.name)).toContain('team-vault');
    // Finding the vault by name shares the pass's identity listing: one list call per pass, not two.
    server.resetCalls();
    await harness.reconcile();
    expect(server.calls.filter((c) => c.method === 'GET' && c.path === '/api/identities/')).toHaveLength(1);
    expect(server.mutatingCalls()).toBe(0);
  });

  it('recreates an identity deleted in the web UI', async () => {
    const { worktrees, harness } = await setup(['a', 'b']);
    await harness.reconcile();
    const [first] = server.identities();
    await fetch(`${server.url}/api/identities/${first?.uuid}/`, { method: 'DELETE', headers: { authorization: `Bearer ${server.managementKey}` } });
    await harness.reconcile();
    expect(server.identities()).toHaveLength(2);
    const envs = await Promise.all(worktrees.map(async (w) => parse(await readFile(join(w, '.env'), 'utf8')).AGENT_EMAIL));
    expect(new Set(envs).size).toBe(2);
    expect(envs.every((email) => server.identities().some((i) => i.inbox === email))).toBe(true);
  });
});
