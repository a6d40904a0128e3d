import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { startFakeRaviServer, type FakeRaviServer, type FakeRaviServerOptions } from '../support/fake-ravi-server.js';
import { createRaviProvider, type RaviProviderOptions } from '../../src/providers/ravi/ravi-provider.js';
import { abortableSleep, type RetryPolicy } from '../../src/providers/ravi/retry.js';
import type { Provider } from '../../src/providers/types.js';
import { failure } from '../support/provider-failure.js';

const servers: FakeRaviServer[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

interface Setup {
  server: FakeRaviServer;
  provider: Provider;
  credentialsFile: string;
  /** Every wait the retry policy asked for; nothing actually sleeps. */
  delays: number[];
}

async function setup(
  serverOptions: FakeRaviServerOptions = {},
  overrides: Partial<RaviProviderOptions> & { credentials?: Record<string, unknown> | string } = {},
): Promise<Setup> {
  const server = await startFakeRaviServer(serverOptions);
  servers.push(server);
  const dir = await mkdtemp(join(tmpdir(), 'ravi-provider-'));
  dirs.push(dir);
  const credentialsFile = join(dir, 'config.json');
  const credentials = overrides.credentials ?? { management_key: server.managementKey, user_email: 'dev@example.com' };
  await writeFile(credentialsFile, typeof credentials === 'string' ? credentials : JSON.stringify(credentials), {
    mode: 0o600,
  });
  const delays: number[] = [];
  const retry: Partial<RetryPolicy> = {
    attempts: 4,
    baseMs: 1,
    capMs: 2,
    sleep: async (ms) => void delays.push(ms),
    ...overrides.retry,
  };
  const provider = createRaviProvider({
    apiUrl: server.url,
    credentialsFile,
    provisionPhone: false,
    fetchTimeoutMs: 5_000,
    ...overrides,
    retry,
  });
  return { server, provider, credentialsFile, delays };
}

describe('listIdentities', () => {
  it('follows limit/offset pages and maps inbox to email', async () => {
    const { server, provider } = await setup({ pagination: 'page' });
    for (let i = 0; i < 450; i++) server.addIdentity({ name: `agent-${i}`, phone: i === 0 ? '+15550001' : null });
    const identities = await provider.listIdentities();
    expect(identities).toHaveLength(450);
    expect(new Set(identities.map((identity) => identity.uuid)).size).toBe(450);
    expect(identities[0]).toMatchObject({ name: 'agent-0', email: 'agent-0@raviapp.com', phone: '+15550001' });
    expect(identities[1]?.phone).toBeNull();
    expect(server.calls.map((call) => [call.path, call.query.limit, call.query.offset])).toEqual([
      ['/api/identities/', '200', undefined],
      ['/api/identities/', '200', '200'],
      ['/api/identities/', '200', '400'],
    ]);
    expect(provider.ledgerScope).toBe(`ravi:${server.url}`);
  });

  it('accepts a bare array', async () => {
    const { server, provider } = await setup({ pagination: 'bare' });
    for (let i = 0; i < 3; i++) server.addIdentity({ name: `agent-${i}` });
    expect((await provider.listIdentities()).map((identity) => identity.name)).toEqual(['agent-0', 'agent-1', 'agent-2']);
    expect(server.calls).toHaveLength(1);
  });

  it('rejects an identity without a uuid instead of dropping it', async () => {
    const { server, provider } = await setup();
    server.failNext(1, { status: 200, body: [{ name: 'no-uuid', inbox: 'x@raviapp.com' }] });
    expect((await failure(provider.listIdentities())).code).toBe('BAD_RESPONSE');
  });

  it('refuses a next link on another origin', async () => {
    const { server, provider } = await setup();
    const page = { count: 2, next: 'http://evil.example/api/identities/?offset=1', previous: null, results: [] };
    server.failNext(1, { status: 200, body: page });
    const error = await failure(provider.listIdentities());
    expect(error.code).toBe('BAD_RESPONSE');
    expect(error.message).toContain('evil.example');
    expect(server.calls).toHaveLength(1);
  });

  it('stops a next link that loops', async () => {
    const { server, provider } = await setup();
    const page = { count: 9, next: `${server.url}/api/identities/?limit=1&offset=1`, previous: null, results: [] };
    server.failNext(5, { status: 200, body: page });
    expect((await failure(provider.listIdentities())).message).toContain('loop');
  });
});

describe('createIdentity and deleteIdentity', () => {
  it('creates an identity without a phone, and with one when asked', async () => {
    const { server, provider } = await setup();
    const plain = await provider.createIdentity({ name: 'ws-app-one', provisionPhone: false });
    expect(plain).toMatchObject({ name: 'ws-app-one', email: 'ws-app-one@raviapp.com', phone: null });
    const withPhone = await provider.createIdentity({ name: 'ws-app-two', provisionPhone: true });
    expect(withPhone.phone).toMatch(/^\+1555\d{7}$/);
    expect(server.identities().map((identity) => identity.uuid)).toEqual([plain.uuid, withPhone.uuid]);
    expect(server.mutatingCalls()).toBe(2);
  });

  it('reports 402 for phones as a paid-plan error, without retrying', async () => {
    const { server, provider } = await setup({ requirePaidPlanForPhone: true });
    const error = await failure(provider.createIdentity({ name: 'ws-app', provisionPhone: true }));
    expect(error).toMatchObject({ code: 'PAYMENT_REQUIRED', status: 402, transient: false, attempts: 1 });
    expect(error.message).toContain('paid Ravi plan');
    expect(error.message).toContain('provisionPhone');
    expect(server.calls).toHaveLength(1);
  });

  it('passes a refused delete on with its status (the real API has none: 405), and deletes where a server allows it', async () => {
    const { server, provider } = await setup();
    const identity = server.addIdentity({ name: 'permanent' });
    expect(await failure(provider.deleteIdentity(identity.uuid))).toMatchObject({ status: 405, method: 'DELETE' });
    expect(server.identities()).toHaveLength(1);
    const allowing = await setup({ allowIdentityDelete: true });
    const doomed = allowing.server.addIdentity({ name: 'doomed' });
    await allowing.provider.deleteIdentity(doomed.uuid);
    expect(allowing.server.identities()).toEqual([]);
    expect(await failure(allowing.provider.deleteIdentity(doomed.uuid))).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });

  it('does not resend a create after an ambiguous 500, but does after a 503', async () => {
    const { server, provider } = await setup();
    server.failNext(1, { status: 500 });
    const error = await failure(provider.createIdentity({ name: 'once', provisionPhone: false }));
    expect(error).toMatchObject({ code: 'SERVER', transient: true, attempts: 1 });
    server.resetCalls();
    server.failNext(1, { status: 503 });
    await provider.createIdentity({ name: 'twice', provisionPhone: false });
    expect(server.mutatingCalls()).toBe(2);
  });
});

describe('mintScopedKey', () => {
  it('mints a key that reads its own identity inbox and no other', async () => {
    const { server, provider } = await setup();
    const mine = await provider.createIdentity({ name: 'mine', provisionPhone: false });
    const theirs = server.addIdentity({ name: 'theirs' });
    server.addEmail(mine.uuid, { from_email: 'a@example.com', subject: 'code 111', text_content: 'Your code is 111' });
    server.addEmail(theirs.uuid, { from_email: 'b@example.com', subject: 'code 222', text_content: 'Your code is 222' });
    server.addSms(theirs.uuid, { from_number: '+15551234', body: 'code 333' });

    const scoped = await provider.mintScopedKey(mine.uuid, 'worktree mine');
    expect(scoped).toMatchObject({ identityUuid: mine.uuid, label: 'worktree mine' });
    expect(scoped.key).toMatch(/^ravi_id_/);

    const get = (path: string, key = scoped.key): Promise<Response> =>
      fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
    const own = (await (await get('/api/email-messages/?is_read=false')).json()) as { subject: string }[];
    expect(own.map((message) => message.subject)).toEqual(['code 111']);
    expect((await get(`/api/email-messages/?is_read=false&identity=${theirs.uuid}`)).status).toBe(403);
    const sms = (await (await get('/api/messages/?is_read=false')).json()) as unknown[];
    expect(sms).toEqual([]);
    const create = await fetch(`${server.url}/api/identities/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${scoped.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'sneaky' }),
    });
    expect(create.status).toBe(403);
    expect(server.calls.find((call) => call.path === '/api/email-messages/')?.identityScope).toBe(mine.uuid);
  });
});

describe('listVaultSecrets', () => {
  it('reads the vault by name and by uuid', async () => {
    const { server, provider } = await setup();
    const vault = server.addIdentity({ name: 'team-vault' });
    const other = server.addIdentity({ name: 'other' });
    server.setSecret(vault.uuid, 'OPENAI_API_KEY', 'sk-test');
    server.setSecret(vault.uuid, 'STRIPE_KEY', "it's");
    server.setSecret(other.uuid, 'OPENAI_API_KEY', 'not-this-one');
    const expected = new Map([['OPENAI_API_KEY', 'sk-test'], ['STRIPE_KEY', "it's"]]);
    expect(await provider.listVaultSecrets('team-vault')).toEqual(expected);
    expect(await provider.listVaultSecrets(vault.uuid)).toEqual(expected);
    expect(server.calls.filter((call) => call.path === '/api/secrets/').map((call) => call.identityScope)).toEqual([
      vault.uuid,
      vault.uuid,
    ]);
  });

  it('reports a missing vault and an ambiguous name', async () => {
    const { server, provider } = await setup({ pagination: 'bare' });
    expect((await failure(provider.listVaultSecrets('nope'))).code).toBe('VAULT_NOT_FOUND');
    server.addIdentity({ name: 'vault' });
    server.addIdentity({ name: 'vault' });
    expect((await failure(provider.listVaultSecrets('vault'))).message).toContain('2 Ravi identities are named "vault"');
  });
});

describe('retries', () => {
  it('honours a 429 retry_after_seconds and the Retry-After header', async () => {
    const { server, provider, delays } = await setup();
    server.failNext(1, { status: 429, body: { detail: 'Slow down.', retry_after_seconds: 2 } });
    server.failNext(1, { status: 429, body: { detail: 'Slow down.' }, headers: { 'Retry-After': '3' } });
    expect(await provider.listIdentities()).toEqual([]);
    expect(server.calls).toHaveLength(3);
    expect(delays).toEqual([2000, 3000]);
  });

  it('fails with RATE_LIMITED and a retry time when the server asks for too long', async () => {
    const { server, provider } = await setup();
    server.failNext(1, { status: 429, body: { detail: 'Hourly limit.', retry_after_seconds: 3600 } });
    const error = await failure(provider.listIdentities());
    expect(error).toMatchObject({ code: 'RATE_LIMITED', transient: true });
    expect(error.message).toMatch(/retry after \d{4}-/);
    expect(error.message).toContain('Hourly limit.');
    expect(server.calls).toHaveLength(1);
  });

  it('retries 5xx until it succeeds', async () => {
    const { server, provider } = await setup();
    server.failNext(2, { status: 502 });
    expect(await provider.listIdentities()).toEqual([]);
    expect(server.calls).toHaveLength(3);
  });

  it('gives up on 5xx after the configured attempts', async () => {
    const { server, provider } = await setup();
    server.failNext(10, { status: 500, body: { detail: 'boom' } });
    const error = await failure(provider.listIdentities({ worktree: '/repo/wt-a' }));
    expect(error).toMatchObject({ code: 'SERVER', status: 500, attempts: 4, transient: true, method: 'GET' });
    expect(error.message).toContain('GET /api/identities/ -> HTTP 500, 4 attempts, worktree /repo/wt-a');
    expect(error.message).toContain('boom');
    expect(server.calls).toHaveLength(4);
  });

  it('retries a reset connection', async () => {
    const { server, provider } = await setup();
    server.failNext(1, 'reset', { method: 'GET', pathPrefix: '/api/identities/' });
    server.addIdentity({ name: 'survivor' });
    expect((await provider.listIdentities()).map((identity) => identity.name)).toEqual(['survivor']);
    expect(server.calls).toHaveLength(2);
  });

  it('treats a timeout as a transient network error', async () => {
    const { server, provider } = await setup({ latencyMs: 2_000 }, { fetchTimeoutMs: 50, retry: { attempts: 2 } });
    const error = await failure(provider.listIdentities());
    expect(error).toMatchObject({ code: 'NETWORK', transient: true, attempts: 2 });
    expect(error.message).toContain('timed out');
    server.latencyMs = 0;
  });

  it('stops at once when the caller aborts during a wait', async () => {
    const controller = new AbortController();
    const reason = new Error('shutting down');
    const sleep = (ms: number, signal?: AbortSignal): Promise<void> => {
      controller.abort(reason);
      return abortableSleep(ms, signal);
    };
    const { server, provider } = await setup({}, { retry: { sleep } });
    server.failNext(5, { status: 503 });
    await expect(provider.listIdentities({ signal: controller.signal })).rejects.toBe(reason);
    expect(server.calls).toHaveLength(1);
  });
});

describe('credentials and secrecy', () => {
  it('fails fast on 401 with one call and a login hint', async () => {
    const { server, provider, credentialsFile } = await setup({}, { credentials: { management_key: 'ravi_mgmt_wrong' } });
    const error = await failure(provider.listIdentities());
    expect(error).toMatchObject({ code: 'UNAUTHORIZED', status: 401, transient: false, attempts: 1 });
    expect(error.message).toContain('ravi auth login');
    expect(error.message).not.toContain('ravi_mgmt_wrong');
    expect(server.calls).toHaveLength(1);
    // A rejected key is not cached: after `ravi auth login` the next call reads the file again.
    await writeFile(credentialsFile, JSON.stringify({ management_key: server.managementKey }));
    expect(await provider.listIdentities()).toEqual([]);
  });

  it('names the credentials file when it is missing or has no management key', async () => {
    const { server, provider, credentialsFile } = await setup();
    await rm(credentialsFile);
    const missing = await failure(provider.listIdentities());
    expect(missing).toMatchObject({ code: 'NOT_CONFIGURED', transient: false });
    expect(missing.message).toContain(credentialsFile);
    expect(missing.message).toContain('ravi auth login');
    await writeFile(credentialsFile, JSON.stringify({ identity_key: 'ravi_id_abc', identity_uuid: 'u' }));
    const scopedOnly = await failure(provider.listIdentities());
    expect(scopedOnly.code).toBe('NOT_CONFIGURED');
    expect(scopedOnly.message).toContain('management_key');
    expect(scopedOnly.message).not.toContain('ravi_id_abc');
    expect(server.calls).toHaveLength(0);
    // Not cached: logging in fixes the next call.
    await writeFile(credentialsFile, JSON.stringify({ management_key: server.managementKey }));
    expect(await provider.listIdentities()).toEqual([]);
  });

  it('never puts the management key or minted keys in errors or recorded calls', async () => {
    const { server, provider } = await setup();
    const key = server.managementKey;
    const identity = await provider.createIdentity({ name: 'secretive', provisionPhone: false });
    const minted = await provider.mintScopedKey(identity.uuid, 'label');
    server.failNext(1, { status: 400, body: { detail: `bad request for ${key} and ${minted.key}` } });
    const echoed = await failure(provider.listIdentities());
    server.failNext(4, { status: 500, body: { detail: key } });
    const exhausted = await failure(provider.listIdentities());
    for (const error of [echoed, exhausted]) {
      const text = inspect(error, { depth: 10 });
      expect(text).not.toContain(key);
      expect(text).not.toContain(minted.key);
    }
    const recorded = JSON.stringify(server.calls);
    expect(recorded).not.toContain(key);
    expect(recorded).not.toContain(minted.key);
  });

  it('does not quote a malformed credentials file', async () => {
    const { provider } = await setup({}, { credentials: 'management_key=ravi_mgmt_plaintext' });
    const error = await failure(provider.listIdentities());
    expect(error.code).toBe('NOT_CONFIGURED');
    expect(inspect(error, { depth: 10 })).not.toContain('ravi_mgmt_plaintext');
  });
});
