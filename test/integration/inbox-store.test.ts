import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInboxStore, type NewEmail } from '../../src/mail/inbox-store.js';

const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function setup() {
  const stateDir = await mkdtemp(join(tmpdir(), 'inbox-store-'));
  dirs.push(stateDir);
  const folder = (uuid: string, kind: 'email' | 'sms') => join(stateDir, 'local', 'inbox', uuid, kind);
  return { stateDir, store: createInboxStore(stateDir), folder };
}

const UUID = '0b0c4f8e-1f7e-4a53-9d8e-1a2b3c4d5e6f';
const OTHER = 'ffffffff-1f7e-4a53-9d8e-1a2b3c4d5e6f';

function email(subject: string): NewEmail {
  return {
    from_email: 'shop@example.com', to_email: 'ws-a@agents.localhost', cc: '', subject, text_content: `text ${subject}`,
    html_content: '', attachments: [{ filename: 'a.pdf', content_type: 'application/pdf', size: 3 }], message_id: '<m@example.com>',
  };
}

describe('inbox store', () => {
  it("adds emails and SMS in Ravi's field names and lists them newest first, per identity", async () => {
    const { store } = await setup();
    const first = await store.addEmail(UUID, email('first'));
    const second = await store.addEmail(UUID, email('second'));
    await store.addEmail(OTHER, email('not mine'));
    expect(first).toMatchObject({ subject: 'first', is_read: false, direction: 'incoming', message_id: '<m@example.com>' });
    expect(Date.parse(first.created_dt)).not.toBeNaN();
    expect(second.id > first.id).toBe(true);
    const listed = await store.listEmails(UUID);
    expect(listed.map((m) => m.subject)).toEqual(['second', 'first']);
    expect(listed[0]).toEqual(second);

    const sms = await store.addSms(UUID, { from_number: '+15550001111', to_number: '+12015550100', body: '123456 is your code' });
    expect(sms).toMatchObject({ from_number: '+15550001111', to_number: '+12015550100', body: '123456 is your code', is_read: false, direction: 'incoming' });
    expect(await store.listSms(UUID)).toEqual([sms]);
    expect(await store.listSms(OTHER)).toEqual([]);
    expect(await store.listEmails('1234-unknown')).toEqual([]);
  });

  it('lists a long inbox (more files than are read at once) whole and newest first, a bad file skipped', async () => {
    const { store, folder } = await setup();
    const subjects: string[] = [];
    for (let i = 0; i < 40; i++) subjects.push((await store.addEmail(UUID, email(`m${String(i).padStart(2, '0')}`))).subject);
    await writeFile(join(folder(UUID, 'email'), '000000000-0000000000ab.json'), '{"id":');
    expect((await store.listEmails(UUID)).map((m) => m.subject)).toEqual(subjects.reverse());
  });

  it('markRead marks one message, unreadOnly filters it out, and unknown ids are false', async () => {
    const { store } = await setup();
    const a = await store.addEmail(UUID, email('a'));
    const b = await store.addEmail(UUID, email('b'));
    const sms = await store.addSms(UUID, { from_number: 'GitHub', to_number: '+12015550100', body: 'hi' });
    expect(await store.markRead('email', UUID, a.id)).toBe(true);
    expect(await store.markRead('email', UUID, a.id)).toBe(true); // idempotent
    expect((await store.listEmails(UUID, { unreadOnly: true })).map((m) => m.id)).toEqual([b.id]);
    expect((await store.listEmails(UUID)).map((m) => [m.id, m.is_read])).toEqual([[b.id, false], [a.id, true]]);
    expect(await store.markRead('sms', UUID, sms.id)).toBe(true);
    expect(await store.listSms(UUID, { unreadOnly: true })).toEqual([]);
    expect(await store.markRead('email', UUID, sms.id)).toBe(false); // an SMS id is no email
    expect(await store.markRead('email', UUID, 'nope')).toBe(false);
    expect(await store.markRead('email', UUID, '../../x')).toBe(false);
    expect(await store.markRead('email', OTHER, a.id)).toBe(false);
  });

  it('deleteInbox removes every message of one identity only', async () => {
    const { store, stateDir } = await setup();
    await store.addEmail(UUID, email('a'));
    await store.addSms(UUID, { from_number: '+15550001111', to_number: '+12015550100', body: 'x' });
    await store.addEmail(OTHER, email('b'));
    await store.deleteInbox(UUID);
    await store.deleteInbox(UUID); // nothing left: still fine
    expect(await store.listEmails(UUID)).toEqual([]);
    expect(await store.listSms(UUID)).toEqual([]);
    expect(await store.listEmails(OTHER)).toHaveLength(1);
    expect(await readdir(join(stateDir, 'local', 'inbox'))).toEqual([OTHER]);
  });

  it('prune keeps the newest maxMessages per identity and kind', async () => {
    const { store } = await setup();
    for (const n of [1, 2, 3, 4]) await store.addEmail(UUID, email(`m${n}`));
    for (const n of [1, 2]) await store.addSms(UUID, { from_number: 'x', to_number: '+12015550100', body: `s${n}` });
    await store.addEmail(OTHER, email('o1'));
    expect(await store.prune({ maxAgeMs: 3_600_000, maxMessages: 2 })).toBe(2);
    expect((await store.listEmails(UUID)).map((m) => m.subject)).toEqual(['m4', 'm3']);
    expect(await store.listSms(UUID)).toHaveLength(2);
    expect(await store.listEmails(OTHER)).toHaveLength(1);
  });

  it('prune removes messages older than maxAgeMs (and stale temp files a crash left)', async () => {
    const { store, folder } = await setup();
    const fresh = await store.addEmail(UUID, email('fresh'));
    // An old message, as if written two days ago by an earlier run: ids carry their time.
    const oldId = `${(Date.now() - 2 * 86_400_000).toString(36).padStart(9, '0')}-0123456789ab`;
    const old = { ...fresh, id: oldId, subject: 'old', created_dt: new Date(Date.now() - 2 * 86_400_000).toISOString() };
    await writeFile(join(folder(UUID, 'email'), `${oldId}.json`), JSON.stringify(old), { mode: 0o600 });
    await writeFile(join(folder(UUID, 'email'), `${oldId}.json.123456`), '{"torn', { mode: 0o600 });
    await writeFile(join(folder(UUID, 'email'), `${oldId}.json.4242-0badbeef.ravi-tmp`), '{"torn', { mode: 0o600 });
    expect((await store.listEmails(UUID)).map((m) => m.subject)).toEqual(['fresh', 'old']);
    expect(await store.prune({ maxAgeMs: 86_400_000, maxMessages: 100 })).toBe(1);
    expect((await store.listEmails(UUID)).map((m) => m.subject)).toEqual(['fresh']);
    expect(await readdir(folder(UUID, 'email'))).toEqual([`${fresh.id}.json`]);
  });

  it('skips torn, corrupt and foreign files instead of failing the listing', async () => {
    const { store, folder } = await setup();
    const good = await store.addEmail(UUID, email('good'));
    const dir = folder(UUID, 'email');
    const fake = (n: number) => `${Date.now().toString(36).padStart(9, '0')}-00000000000${n}`;
    await writeFile(join(dir, `${fake(1)}.json`), '{"id": "half');
    await writeFile(join(dir, `${fake(2)}.json`), JSON.stringify({ id: fake(2), subject: 'missing fields' }));
    await writeFile(join(dir, `${fake(3)}.json`), JSON.stringify({ ...good, id: 'someone-else' }));
    await writeFile(join(dir, `${good.id}.json.98765`), '{"torn');
    await writeFile(join(dir, 'notes.txt'), 'hello');
    expect(await store.listEmails(UUID)).toEqual([good]);
    expect(await store.markRead('email', UUID, fake(1))).toBe(false);
  });

  it('writes folders 0700 and files 0600', async () => {
    const { store, stateDir, folder } = await setup();
    const message = await store.addEmail(UUID, email('a'));
    const mode = async (path: string) => (await stat(path)).mode & 0o777;
    for (const dir of [join(stateDir, 'local'), join(stateDir, 'local', 'inbox'), join(stateDir, 'local', 'inbox', UUID), folder(UUID, 'email')]) {
      expect(await mode(dir)).toBe(0o700);
    }
    const file = join(folder(UUID, 'email'), `${message.id}.json`);
    expect(await mode(file)).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ id: message.id, thread_id: null, url: null, direction: 'incoming' });
  });

  it('rejects identity uuids that could name another path', async () => {
    const { store, stateDir } = await setup();
    for (const bad of ['../escape', 'a/b', '..', '', 'a b', 'x\0y']) {
      await expect(store.addEmail(bad, email('x'))).rejects.toThrow(/Not an identity uuid/);
      await expect(store.listEmails(bad)).rejects.toThrow(TypeError);
      await expect(store.deleteInbox(bad)).rejects.toThrow(TypeError);
    }
    expect(await readdir(stateDir)).toEqual([]);
  });
});
