/**
 * messagesForWorktree, the one decision of which messages a worktree's dashboard view may show, on the
 * real local provider and inbox store in a temp state dir.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalProvider } from '../../src/providers/local/local-provider.js';
import { createInboxStore } from '../../src/mail/inbox-store.js';
import { messagesForWorktree } from '../../src/dashboard/worktree-messages.js';
import type { DashboardWorktree } from '../../src/dashboard/snapshot.js';
import type { Provider } from '../../src/providers/types.js';
import { cleanupTempDirs, createTempDir } from '../support/git-fixtures.js';

afterAll(cleanupTempDirs);

let provider: Provider;
let stateDir: string;
let mine: string;
let theirs: string;
const LEASE_START = new Date(Date.now() - 60_000).toISOString();

function row(uuid: string | null, overrides: Partial<DashboardWorktree> = {}): DashboardWorktree {
  return {
    repo: '/r', worktree: '/r-worktrees/a', branch: 'a', managed: true, identity: 'ws-r-a', uuid, email: 'ws-r-a@agents.localhost',
    phone: null, leaseSince: LEASE_START, leaseId: 'lease-a', ports: null, env: 'in sync', detail: '', unread: null, ...overrides,
  };
}

beforeAll(async () => {
  stateDir = await createTempDir('ravi-dashboard-messages-');
  provider = createLocalProvider({ stateDir });
  mine = (await provider.createIdentity({ name: 'ws-r-a', provisionPhone: true })).uuid;
  theirs = (await provider.createIdentity({ name: 'ws-r-b', provisionPhone: true })).uuid;
  // The store's ids (and so receive times) strictly increase within a process: the order below is the order of times.
  const inboxes = createInboxStore(stateDir);
  const email = { from_email: 'no-reply@acme.test', to_email: 'ws-r-a@agents.localhost', cc: '', text_content: 'code 1', html_content: '<p>code <b>1</b></p>', attachments: [], message_id: null };
  await inboxes.addEmail(mine, { ...email, subject: 'first' });
  await inboxes.addSms(mine, { from_number: '+15550001111', to_number: '+12015550100', body: 'second' });
  await inboxes.addEmail(mine, { ...email, subject: 'third' });
  await inboxes.addEmail(theirs, { ...email, subject: 'not yours' });
});

describe('messagesForWorktree', () => {
  it("returns the identity's email and SMS together, newest first, with both parts of an email", async () => {
    const messages = await messagesForWorktree(provider, stateDir, row(mine));
    expect(messages?.map((m) => `${m.kind}:${m.subject || m.text}`)).toEqual(['email:third', 'sms:second', 'email:first']);
    expect(messages?.[0]).toMatchObject({ from: 'no-reply@acme.test', text: 'code 1', html: '<p>code <b>1</b></p>', read: false });
  });

  it('shows nothing for a row without an active identity, and asks the provider nothing', async () => {
    const calls: string[] = [];
    const counting: Provider = { ...provider, listEmails: (...args) => (calls.push('email'), provider.listEmails(...args)), listSms: (...args) => (calls.push('sms'), provider.listSms(...args)) };
    for (const blocked of [row(mine, { env: 'released' }), row(mine, { managed: false, env: 'unmanaged' }), row(mine, { worktree: null, env: 'orphan' }), row(null)]) {
      expect(await messagesForWorktree(counting, stateDir, blocked), JSON.stringify(blocked)).toBeNull();
    }
    expect(calls).toEqual([]);
  });

  it('shows only messages of the worktree\'s own lease (an identity may have served another worktree before)', async () => {
    const later = row(mine, { leaseSince: new Date(Date.now() + 60_000).toISOString(), leaseId: 'lease-b' });
    expect(await messagesForWorktree(provider, stateDir, later)).toEqual([]);
  });

  it('leaves every message unread', async () => {
    await messagesForWorktree(provider, stateDir, row(mine));
    expect((await provider.listEmails(mine, { unreadOnly: true })).map((m) => m.subject).sort()).toEqual(['first', 'third']);
    expect(await provider.listSms(mine, { unreadOnly: true })).toHaveLength(1);
  });
});
