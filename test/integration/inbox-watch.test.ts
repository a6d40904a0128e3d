import { afterAll, describe, expect, it } from 'vitest';
import { createLocalProvider } from '../../src/providers/local/local-provider.js';
import { leaseInbox } from '../../src/agent/lease-inbox.js';
import { createInboxStore, type NewEmail } from '../../src/mail/inbox-store.js';
import { listInbox, newestAccepted, waitForMessage, type FoundMessage } from '../../src/agent/find-message.js';
import { inboxWakeup, watchFolders } from '../../src/agent/inbox-watch.js';
import { extractCode } from '../../src/agent/extract-code.js';
import type { Provider } from '../../src/providers/types.js';
import { cleanupTempDirs, createTempDir } from '../support/git-fixtures.js';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

afterAll(cleanupTempDirs);

/**
 * Polling and the deadline are pushed out of reach (10 min, past the test's own timeout), so only the
 * inbox watch can end these waits with a message.
 */
const NO_POLLING = { initialIntervalMs: 600_000, timeoutMs: 600_000 };

async function setup() {
  const stateDir = await createTempDir('inbox-watch-');
  const provider = createLocalProvider({ stateDir });
  const identity = await provider.createIdentity({ name: 'ws-app-watch', provisionPhone: true });
  const store = createInboxStore(stateDir);
  const inbox = leaseInbox(provider, stateDir, { uuid: identity.uuid, leaseId: 'lease-watch', leaseSince: new Date(Date.now() - 60_000).toISOString() });
  let reads = 0;
  let firstRead!: () => void;
  const firstReadDone = new Promise<void>((resolve) => (firstRead = resolve));
  const find = async (): Promise<FoundMessage | null> => {
    const found = await newestAccepted(await listInbox(inbox, { unreadOnly: false }), async () => extractCode, { since: null });
    reads += 1;
    if (reads === 1) firstRead();
    return found;
  };
  return { stateDir, provider, identity, store, find, firstReadDone, reads: () => reads };
}

function email(text: string): NewEmail {
  return { from_email: 'no-reply@acme.test', to_email: 'ws-app-watch@agents.localhost', cc: '', subject: 'Your Acme code', text_content: text, html_content: '', attachments: [], message_id: null };
}

describe('otp --wait on the local provider is woken by the inbox folder, not by its poll', () => {
  it('finds a message whose inbox folder did not exist when the wait began', async () => {
    const { stateDir, provider, identity, store, find, firstReadDone } = await setup();
    const waiting = waitForMessage(find, { ...NO_POLLING, wakeup: inboxWakeup(provider, stateDir, identity.uuid) });
    await firstReadDone;
    await store.addEmail(identity.uuid, email('Your verification code is 482913'));
    expect((await waiting)?.value).toBe('482913');
  });

  it('keeps watching after the inbox is removed and made again, and sees SMS too', async () => {
    const { stateDir, provider, identity, store, find, firstReadDone } = await setup();
    await store.addEmail(identity.uuid, email('no code in this one'));
    const waiting = waitForMessage(find, { ...NO_POLLING, wakeup: inboxWakeup(provider, stateDir, identity.uuid) });
    await firstReadDone;
    await store.deleteInbox(identity.uuid);
    await store.addSms(identity.uuid, { from_number: '+15550001111', to_number: identity.phone ?? '', body: '771 204 is your Acme code' });
    expect((await waiting)?.value).toBe('771204');
  });

  it('an aborted wait stops at once and reads no more', async () => {
    const { stateDir, provider, identity, store, find, firstReadDone, reads } = await setup();
    const controller = new AbortController();
    const waiting = waitForMessage(find, { ...NO_POLLING, signal: controller.signal, wakeup: inboxWakeup(provider, stateDir, identity.uuid) });
    await firstReadDone;
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    const after = reads();
    await store.addEmail(identity.uuid, email('Your verification code is 111222'));
    await store.addEmail(identity.uuid, email('Your verification code is 333444'));
    // The watch is closed: a read started by these writes would be counted by `find`.
    await new Promise((resolve) => setImmediate(resolve));
    expect(reads()).toBe(after);
  });

  it('is woken when another process makes the missing inbox folders one level at a time (40 tries)', async () => {
    // The mail server makes inbox/<uuid>/email while the waiter moves its watch down the path. A folder made
    // between the waiter's look and its watch once sent its event to no one: the wait then lasted until a poll.
    const base = await createTempDir('inbox-watch-race-');
    const maker = `const fs = require('fs'), p = require('path'); let d = process.argv[1];
      for (const name of ['inbox', 'uuid', 'email']) { d = p.join(d, name); fs.mkdirSync(d); for (let k = 0; k < Number(process.argv[2]); k++); }
      fs.writeFileSync(p.join(d, 'message.json'), '{}');`;
    let missed = 0;
    for (let i = 0; i < 40; i++) {
      const root = join(base, String(i));
      const wakeup = watchFolders([join(root, 'inbox', 'uuid', 'email')]);
      const woken = wakeup.next().then(() => true);
      await promisify(execFile)(process.execPath, ['-e', `require('fs').mkdirSync(${JSON.stringify(root)}); ${maker}`, root, String((i % 7) * 2000)]);
      if (!(await Promise.race([woken, new Promise<false>((resolve) => setTimeout(() => resolve(false), 2000))]))) missed += 1;
      wakeup.close();
    }
    expect(missed).toBe(0);
  });

  it('a Ravi identity has no local inbox to watch: its wait polls', () => {
    expect(inboxWakeup({ kind: 'ravi' } as Provider, '/nonexistent', 'some-uuid')).toBeNull();
  });
});
