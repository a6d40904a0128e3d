/**
 * The fake Ravi API's email and SMS messages: `GET /api/email-messages/` and `/api/messages/` (newest
 * first, `?is_read=`), `GET|PATCH /api/email-messages/<id>/` and `/api/messages/<id>/` (`{is_read}`),
 * each scoped to the one identity the request acts as. The PATCH is this fake's guess at an
 * undocumented endpoint (see src/providers/ravi/ravi-messages.ts).
 */
export type FakeEmail = Record<string, unknown> & { id: number; identity: string; is_read: boolean };
export type FakeSms = FakeEmail;

type Kind = 'email' | 'sms';
type Answer = [number, unknown];
type ListPage = (items: unknown[], path: string, query: URLSearchParams) => unknown;

export interface FakeMailbox {
  add(kind: Kind, identity: { uuid: string; inbox: string; phone: string | null } | string, fields: Record<string, unknown>): FakeEmail;
  /** Drops every message of a deleted identity. */
  forget(identityUuid: string): void;
  /** Answers a message route for the identity `scope`, or returns null when `path` is not one. */
  route(method: string, path: string, query: URLSearchParams, scope: () => string, body: Record<string, unknown>): Answer | null;
}

const LIST_PATHS: Readonly<Record<string, Kind>> = { '/api/email-messages/': 'email', '/api/messages/': 'sms' };
const ITEM_PATH = /^\/api\/(email-messages|messages)\/([^/]+)\/$/;
const notFound: Answer = [404, { detail: 'Not found.' }];

export function createFakeMailbox(baseUrl: () => string, listPage: ListPage): FakeMailbox {
  const boxes: Record<Kind, FakeEmail[]> = { email: [], sms: [] };
  let nextId = 1;
  const visible = ({ identity: _omit, ...rest }: FakeEmail): Record<string, unknown> => rest;
  // Newest first, like the CLI shows them; equal times by the later id.
  const newestFirst = (a: FakeEmail, b: FakeEmail): number =>
    Date.parse(String(b.created_dt)) - Date.parse(String(a.created_dt)) || b.id - a.id;

  return {
    add(kind, identity, fields) {
      const id = nextId++;
      const owner = typeof identity === 'string' ? undefined : identity;
      const uuid = typeof identity === 'string' ? identity : identity.uuid;
      const url = baseUrl();
      const defaults = kind === 'email'
        ? { url: `${url}/api/email-messages/${id}/`, from_email: 'someone@example.com', to_email: owner?.inbox ?? '', cc: '', subject: '',
            text_content: '', html_content: '', attachments: [], message_id: `<${id}@fake.ravi>`, thread_id: `t${id}` }
        : { url: `${url}/api/messages/${id}/`, from_number: '+15550000000', to_number: owner?.phone ?? '', body: '', message_sid: `SM${id}`, phone: owner?.phone ?? '' };
      const message = { ...defaults, direction: 'incoming', created_dt: new Date().toISOString(), ...fields, id, identity: uuid, is_read: fields.is_read === true };
      boxes[kind].push(message);
      return { ...message };
    },

    forget(identityUuid) {
      for (const box of Object.values(boxes)) box.splice(0, box.length, ...box.filter((x) => x.identity !== identityUuid));
    },

    route(method, path, query, scope, body) {
      const listKind = LIST_PATHS[path];
      if (listKind !== undefined) {
        if (method !== 'GET') return [405, { detail: `Method "${method}" not allowed.` }];
        const owner = scope();
        const isRead = query.get('is_read');
        const found = boxes[listKind].filter((x) => x.identity === owner && (isRead === null || String(x.is_read) === isRead));
        return [200, listPage(found.sort(newestFirst).map(visible), path, query)];
      }
      const m = ITEM_PATH.exec(path);
      if (!m) return null;
      const owner = scope();
      const message = boxes[m[1] === 'messages' ? 'sms' : 'email'].find((x) => String(x.id) === m[2] && x.identity === owner);
      if (!message) return notFound; // Another identity's message does not exist for this one.
      if (method === 'GET') return [200, visible(message)];
      if (method !== 'PATCH') return [405, { detail: `Method "${method}" not allowed.` }];
      if (typeof body.is_read !== 'boolean') return [400, { is_read: ['Must be a valid boolean.'] }];
      message.is_read = body.is_read;
      return [200, visible(message)];
    },
  };
}
