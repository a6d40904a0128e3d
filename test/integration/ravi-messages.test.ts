import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeRaviServer, type FakeRaviServer, type FakeRaviServerOptions } from '../support/fake-ravi-server.js';
import { createRaviProvider } from '../../src/providers/ravi/ravi-provider.js';
import { createLocalProvider } from '../../src/providers/local/local-provider.js';
import type { Provider } from '../../src/providers/types.js';
import { failure } from '../support/provider-failure.js';

const servers: FakeRaviServer[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

async function setup(serverOptions: FakeRaviServerOptions = {}): Promise<{ server: FakeRaviServer; provider: Provider }> {
  const server = await startFakeRaviServer(serverOptions);
  servers.push(server);
  const credentialsFile = join(await tempDir('ravi-messages-'), 'config.json');
  await writeFile(credentialsFile, JSON.stringify({ management_key: server.managementKey }), { mode: 0o600 });
  const retry = { attempts: 2, baseMs: 1, capMs: 2, sleep: async () => {} };
  const provider = createRaviProvider({ apiUrl: server.url, credentialsFile, provisionPhone: false, retry });
  return { server, provider };
}

const at = (minute: number): string => new Date(Date.UTC(2026, 0, 1, 10, minute)).toISOString();

describe('listEmails and listSms (ravi)', () => {
  it("lists one identity's emails and SMS only, newest first, with Ravi's field names", async () => {
    const { server, provider } = await setup();
    const mine = server.addIdentity({ name: 'mine', phone: '+15550001111' });
    const theirs = server.addIdentity({ name: 'theirs', phone: '+15550002222' });
    server.addEmail(mine.uuid, { subject: 'older', text_content: 'code 111', created_dt: at(1) });
    server.addEmail(theirs.uuid, { subject: 'not mine', created_dt: at(5) });
    server.addEmail(mine.uuid, { subject: 'newer', from_email: 'shop@example.com', html_content: '<b>222</b>', created_dt: at(3) });
    server.addSms(mine.uuid, { body: 'sms old', created_dt: at(0) });
    server.addSms(theirs.uuid, { body: 'sms theirs', created_dt: at(9) });
    server.addSms(mine.uuid, { body: 'sms new', from_number: '+15557654321', created_dt: at(2) });

    const emails = await provider.listEmails(mine.uuid);
    expect(emails.map((m) => m.subject)).toEqual(['newer', 'older']);
    expect(emails[0]).toEqual({
      id: expect.any(String), from_email: 'shop@example.com', to_email: 'mine@raviapp.com', subject: 'newer',
      text_content: '', html_content: '<b>222</b>', is_read: false, created_dt: at(3),
    });
    expect(Object.keys(emails[0] ?? {}).sort()).toEqual(
      ['created_dt', 'from_email', 'html_content', 'id', 'is_read', 'subject', 'text_content', 'to_email'],
    );

    const sms = await provider.listSms(mine.uuid);
    expect(sms.map((m) => m.body)).toEqual(['sms new', 'sms old']);
    expect(sms[0]).toEqual({
      id: expect.any(String), from_number: '+15557654321', to_number: '+15550001111', body: 'sms new', is_read: false, created_dt: at(2),
    });
    expect(Object.keys(sms[0] ?? {}).sort()).toEqual(['body', 'created_dt', 'from_number', 'id', 'is_read', 'to_number']);

    // Management key acting as the identity, never an account-wide read.
    const reads = server.calls.filter((c) => c.path === '/api/email-messages/' || c.path === '/api/messages/');
    expect(reads.map((c) => [c.path, c.query.identity, c.identityScope])).toEqual([
      ['/api/email-messages/', mine.uuid, mine.uuid],
      ['/api/messages/', mine.uuid, mine.uuid],
    ]);
    expect((await provider.listEmails(theirs.uuid)).map((m) => m.subject)).toEqual(['not mine']);
  });

  it('normalises numeric ids to strings and orders equal times by the later id', async () => {
    const { server, provider } = await setup();
    const mine = server.addIdentity({ name: 'mine' });
    const first = server.addEmail(mine.uuid, { subject: 'first', created_dt: at(1) });
    const second = server.addEmail(mine.uuid, { subject: 'second', created_dt: at(1) });
    const emails = await provider.listEmails(mine.uuid);
    expect(emails.map((m) => m.id)).toEqual([String(second.id), String(first.id)]);
  });

  it('sorts an unsorted answer itself and keeps one copy of an entry repeated across pages', async () => {
    const { server, provider } = await setup();
    const mine = server.addIdentity({ name: 'mine' });
    const next = `${server.url}/api/email-messages/?identity=${mine.uuid}&limit=2&offset=2`;
    const first = { count: 3, next, previous: null, results: [{ id: 1, created_dt: at(1) }, { id: 3, created_dt: at(3) }] };
    const second = { count: 3, next: null, previous: null, results: [{ id: 3, created_dt: at(3) }, { id: 2, created_dt: at(2) }] };
    server.failNext(1, { status: 200, body: first });
    server.failNext(1, { status: 200, body: second });
    expect((await provider.listEmails(mine.uuid)).map((m) => m.id)).toEqual(['3', '2', '1']);
  });

  it('asks for unread messages only when told, and drops read ones a server sent anyway', async () => {
    const { server, provider } = await setup();
    const mine = server.addIdentity({ name: 'mine' });
    server.addEmail(mine.uuid, { subject: 'read', is_read: true, created_dt: at(2) });
    server.addEmail(mine.uuid, { subject: 'unread', created_dt: at(1) });
    server.addSms(mine.uuid, { body: 'read sms', is_read: true });

    expect((await provider.listEmails(mine.uuid)).map((m) => [m.subject, m.is_read])).toEqual([['read', true], ['unread', false]]);
    expect((await provider.listEmails(mine.uuid, { unreadOnly: true })).map((m) => m.subject)).toEqual(['unread']);
    expect(await provider.listSms(mine.uuid, { unreadOnly: true })).toEqual([]);
    const queries = server.calls.map((c) => c.query.is_read);
    expect(queries).toEqual([undefined, 'false', 'false']);

    // A server that ignores `is_read=false`.
    const ignoring = [{ id: 7, created_dt: at(1), is_read: true }, { id: 8, created_dt: at(2), is_read: false }];
    server.failNext(1, { status: 200, body: ignoring });
    expect((await provider.listEmails(mine.uuid, { unreadOnly: true })).map((m) => m.id)).toEqual(['8']);
  });

  it('follows pages over more than 50 messages, with the filters on every page', async () => {
    const { server, provider } = await setup({ pagination: 'page' });
    const mine = server.addIdentity({ name: 'mine' });
    const other = server.addIdentity({ name: 'other' });
    for (let i = 0; i < 230; i++) server.addEmail(mine.uuid, { subject: `m${i}`, created_dt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() });
    for (let i = 0; i < 60; i++) server.addEmail(other.uuid, { subject: `o${i}` });
    const emails = await provider.listEmails(mine.uuid, { unreadOnly: true });
    expect(emails).toHaveLength(230);
    expect(emails[0]?.subject).toBe('m229');
    expect(emails.at(-1)?.subject).toBe('m0');
    expect(new Set(emails.map((m) => m.id)).size).toBe(230);
    expect(server.calls.map((c) => [c.query.limit, c.query.offset, c.query.is_read, c.query.identity])).toEqual([
      ['200', undefined, 'false', mine.uuid],
      ['200', '200', 'false', mine.uuid],
    ]);
  });

  it("pages of the server's default size (50) and a bare array both work", async () => {
    const paged = await setup({ pagination: 'page' });
    const mine = paged.server.addIdentity({ name: 'mine' });
    for (let i = 0; i < 120; i++) paged.server.addSms(mine.uuid, { body: `s${i}`, created_dt: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString() });
    // A server that ignores our limit and answers 50 a page: the provider follows `next`.
    const page = (offset: number) => {
      const query = new URLSearchParams({ identity: mine.uuid, limit: '50', offset: String(offset) });
      return `${paged.server.url}/api/messages/?${query.toString()}`;
    };
    const headers = { authorization: `Bearer ${paged.server.managementKey}` };
    const firstPage = (await (await fetch(page(0), { headers })).json()) as { next: string; results: unknown[] };
    expect(firstPage.results).toHaveLength(50);
    expect(firstPage.next).toBe(page(50));
    paged.server.failNext(1, { status: 200, body: firstPage }); // answers the provider's limit=200 with 50
    paged.server.resetCalls();
    const sms = await paged.provider.listSms(mine.uuid);
    expect(sms).toHaveLength(120);
    expect(sms.map((m) => m.body).slice(0, 2)).toEqual(['s119', 's118']);
    expect(paged.server.calls.map((c) => c.query.offset)).toEqual([undefined, '50', '100']);

    const bare = await setup({ pagination: 'bare' });
    const one = bare.server.addIdentity({ name: 'one' });
    bare.server.addEmail(one.uuid, { subject: 'a', created_dt: at(1) });
    bare.server.addEmail(one.uuid, { subject: 'b', created_dt: at(2) });
    expect((await bare.provider.listEmails(one.uuid)).map((m) => m.subject)).toEqual(['b', 'a']);
  });

  it('turns missing optional text into empty strings and rejects a message without id or created_dt', async () => {
    const { server, provider } = await setup();
    const mine = server.addIdentity({ name: 'mine' });
    server.failNext(1, { status: 200, body: [{ id: 'abc', created_dt: at(1), subject: null }] });
    expect(await provider.listEmails(mine.uuid)).toEqual([{
      id: 'abc', from_email: '', to_email: '', subject: '', text_content: '', html_content: '', is_read: false, created_dt: at(1),
    }]);
    for (const body of [[{ created_dt: at(1) }], [{ id: 1 }], [{ id: 1, created_dt: 'yesterday' }], [{ id: 1, created_dt: at(1), body: 42 }], { results: 'x' }]) {
      server.failNext(1, { status: 200, body });
      expect((await failure(provider.listSms(mine.uuid))).code).toBe('BAD_RESPONSE');
    }
  });

  it('reports an unknown identity as NOT_FOUND', async () => {
    const { provider } = await setup();
    expect((await failure(provider.listEmails('00000000-0000-0000-0000-000000000000'))).code).toBe('NOT_FOUND');
  });
});

describe('messages since a time (a lease start)', () => {
  it('asks Ravi for created_after and checks every message time itself, whatever the server did', async () => {
    const { server, provider } = await setup();
    const mine = server.addIdentity({ name: 'mine' });
    server.addEmail(mine.uuid, { subject: 'before the lease', created_dt: at(1) });
    server.addEmail(mine.uuid, { subject: 'during the lease', created_dt: at(3) });
    server.addSms(mine.uuid, { body: 'old', created_dt: at(1) });
    expect((await provider.listEmails(mine.uuid, { since: at(2) })).map((m) => m.subject)).toEqual(['during the lease']);
    expect(await provider.listSms(mine.uuid, { since: at(2) })).toEqual([]);
    expect(server.calls.filter((c) => c.path === '/api/email-messages/').map((c) => c.query.created_after)).toEqual([at(2)]);
    // A server that ignores the filter still never hands back what arrived before.
    server.failNext(1, { status: 200, body: [{ id: 9, created_dt: at(1), subject: 'ignored filter' }] });
    expect(await provider.listEmails(mine.uuid, { since: at(2) })).toEqual([]);
  });

  it('only reads: listing never sends a PATCH, and the fake refuses one as the real API does', async () => {
    const { server, provider } = await setup();
    const mine = server.addIdentity({ name: 'mine' });
    const email = server.addEmail(mine.uuid, { subject: 'code' });
    await provider.listEmails(mine.uuid, { unreadOnly: true });
    expect(server.calls.filter((c) => c.method !== 'GET')).toEqual([]);
    const patch = await fetch(`${server.url}/api/email-messages/${email.id}/?identity=${mine.uuid}`, {
      method: 'PATCH', headers: { authorization: `Bearer ${server.managementKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ is_read: true }),
    });
    expect(patch.status).toBe(405);
  });
});

describe('messages (local)', () => {
  it('has an empty inbox for a known identity, and NOT_FOUND otherwise', async () => {
    const provider = createLocalProvider({ stateDir: await tempDir('local-messages-') });
    const identity = await provider.createIdentity({ name: 'agent', provisionPhone: true });
    expect(await provider.listEmails(identity.uuid)).toEqual([]);
    expect(await provider.listSms(identity.uuid, { unreadOnly: true })).toEqual([]);
    expect((await failure(provider.listEmails('no-such-uuid'))).code).toBe('NOT_FOUND');
    expect((await failure(provider.listSms('no-such-uuid'))).code).toBe('NOT_FOUND');
  });
});
