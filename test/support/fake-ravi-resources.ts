/**
 * The fake Ravi API's other read-only resources the real `ravi` CLI calls, in the shapes its decoder
 * expects (github.com/ravi-hq/cli internal/api/types.go and resources.go, inbox.go): `GET /api/email/`
 * (`ravi get email`), `/api/phone/` (`ravi get phone`; it ignores `?identity=`), `/api/email-inbox/` and
 * `/api/sms-inbox/` (threads and conversations, `?has_unread=true`, and one of each by id), `/api/domains/`.
 * All bare JSON arrays, as the CLI decodes them.
 */
import type { FakeIdentity } from './fake-ravi-server.js';
import type { FakeMailbox } from './fake-ravi-messages.js';

type Answer = [number, unknown];

export interface ResourceContext {
  /** The identity the request acts as: an identity key's own, or `?identity=` with the management key. */
  readonly scope: string | null;
  readonly actor: 'mgmt' | 'identity';
  readonly identities: () => FakeIdentity[];
  readonly numericIdOf: (uuid: string) => number;
  readonly mailbox: FakeMailbox;
}

const EPOCH = '2026-01-01T00:00:00.000Z';

export function routeResources(method: string, path: string, context: ResourceContext, query = new URLSearchParams()): Answer | null {
  if (!/^\/api\/(email|phone|domains|email-inbox|sms-inbox)\//.test(path)) return null;
  if (method !== 'GET') return [405, { detail: `Method "${method}" not allowed.` }];
  const mine = context.identities().filter((i) => context.scope === null || i.uuid === context.scope);
  if (path === '/api/email/') {
    return [200, mine.map((i) => ({ id: context.numericIdOf(i.uuid), email: i.inbox, created_dt: i.created_dt }))];
  }
  if (path === '/api/phone/') {
    // The real endpoint ignores `?identity=`: an identity key sees its own number, the management key every one.
    const phones = context.actor === 'identity' ? mine : context.identities();
    return [200, phones.filter((i) => i.phone !== null).map((i) => ({ id: context.numericIdOf(i.uuid), phone_number: i.phone, provider: 'twilio', created_dt: i.created_dt }))];
  }
  if (path === '/api/domains/') {
    return [200, [{ uuid: '00000000-0000-4000-8000-000000000001', domain: 'raviapp.com', is_platform: true, is_verified: true, created_dt: EPOCH }]];
  }
  if (context.scope === null) return [400, { detail: 'identity is required with a management key.' }];
  const owner = context.scope;
  const threadMatch = /^\/api\/email-inbox\/([^/]+)\/$/.exec(path);
  const conversationMatch = /^\/api\/sms-inbox\/([^/]+)\/$/.exec(path);
  if (path === '/api/email-inbox/' || threadMatch) {
    const threads = group(context.mailbox.messagesOf('email', owner), (m) => String(m.thread_id));
    if (threadMatch) {
      const messages = threads.get(decodeURIComponent(threadMatch[1] ?? ''));
      if (messages === undefined) return [404, { detail: 'Not found.' }];
      return [200, { thread_id: messages[0]?.thread_id, subject: messages[0]?.subject, message_count: messages.length, messages }];
    }
    const inbox = mine[0]?.inbox ?? '';
    const rows = [...threads].map(([threadId, messages]) => ({
      thread_id: threadId,
      subject: messages[0]?.subject ?? '',
      preview: String(messages.at(-1)?.text_content ?? '').slice(0, 100),
      from_email: messages.at(-1)?.from_email ?? '',
      inbox,
      message_count: messages.length,
      unread_count: messages.filter((m) => m.is_read !== true).length,
      latest_message_dt: messages.at(-1)?.created_dt,
      oldest_message_dt: messages[0]?.created_dt,
    }));
    return [200, query.get('has_unread') === 'true' ? rows.filter((r) => r.unread_count > 0) : rows];
  }
  if (path === '/api/sms-inbox/' || conversationMatch) {
    const conversations = group(context.mailbox.messagesOf('sms', owner), (m) => `${String(m.phone)}:${String(m.from_number)}`);
    if (conversationMatch) {
      const messages = conversations.get(decodeURIComponent(conversationMatch[1] ?? ''));
      if (messages === undefined) return [404, { detail: 'Not found.' }];
      const slim = messages.map((m) => ({ id: m.id, body: m.body, direction: m.direction, is_read: m.is_read, created_dt: m.created_dt }));
      return [200, { conversation_id: conversationMatch[1], from_number: messages[0]?.from_number, phone: messages[0]?.phone, message_count: messages.length, messages: slim }];
    }
    const rows = [...conversations].map(([id, messages]) => ({
      conversation_id: id,
      from_number: messages[0]?.from_number ?? '',
      phone: messages[0]?.phone ?? '',
      phone_number: messages[0]?.phone ?? '',
      preview: String(messages.at(-1)?.body ?? '').slice(0, 100),
      message_count: messages.length,
      unread_count: messages.filter((m) => m.is_read !== true).length,
      latest_message_dt: messages.at(-1)?.created_dt,
    }));
    return [200, query.get('has_unread') === 'true' ? rows.filter((r) => r.unread_count > 0) : rows];
  }
  return null;
}

function group(messages: Record<string, unknown>[], keyOf: (message: Record<string, unknown>) => string): Map<string, Record<string, unknown>[]> {
  const groups = new Map<string, Record<string, unknown>[]>();
  for (const message of messages) groups.set(keyOf(message), [...(groups.get(keyOf(message)) ?? []), message]);
  return groups;
}
