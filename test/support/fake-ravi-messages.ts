/**
 * The fake Ravi API's email and SMS messages: `GET /api/email-messages/` and `/api/messages/` (oldest
 * first, as Ravi's API schema documents; `?is_read=`, `?created_after=`), `GET /api/email-messages/<id>/`
 * and `/api/messages/<id>/`, each scoped to the one identity the request acts as. There is no mark-read
 * call in the real API: a PATCH answers 405 unless the test opts in (`allowMarkRead`).
 * Also the threads and conversations behind `/api/email-inbox/` and `/api/sms-inbox/` (fake-ravi-resources.ts).
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
  /** The identity's messages of one kind, as the API shows them, oldest first. */
  messagesOf(kind: Kind, identityUuid: string): Record<string, unknown>[];
  /** Answers a message route for the identity `scope`, or returns null when `path` is not one. */
  route(method: string, path: string, query: URLSearchParams, scope: () => string, body: Record<string, unknown>): Answer | null;
}

const LIST_PATHS: Readonly<Record<string, Kind>> = { '/api/email-messages/': 'email', '/api/messages/': 'sms' };
const ITEM_PATH = /^\/api\/(email-messages|messages)\/([^/]+)\/$/;
const notFound: Answer = [404, { detail: 'Not found.' }];

export function createFakeMailbox(baseUrl: () => string, listPage: ListPage, options: { allowMarkRead: boolean }): FakeMailbox {
  const boxes: Record<Kind, FakeEmail[]> = { email: [], sms: [] };
  let nextId = 1;
  const visible = ({ identity: _omit, ...rest }: FakeEmail): Record<string, unknown> => rest;
  const oldestFirst = (a: FakeEmail, b: FakeEmail): number => Date.parse(String(a.created_dt)) - Date.parse(String(b.created_dt)) || a.id - b.id;
  const of = (kind: Kind, owner: string) => boxes[kind].filter((x) => x.identity === owner).sort(oldestFirst);

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

    messagesOf: (kind, identityUuid) => of(kind, identityUuid).map(visible),

    route(method, path, query, scope, body) {
      const listKind = LIST_PATHS[path];
      if (listKind !== undefined) {
        if (method !== 'GET') return [405, { detail: `Method "${method}" not allowed.` }];
        const owner = scope();
        const isRead = query.get('is_read');
        const after = query.get('created_after');
        if (after !== null && Number.isNaN(Date.parse(after))) return [400, { created_after: ['Enter a valid date/time.'] }];
        const found = of(listKind, owner).filter(
          (x) => (isRead === null || String(x.is_read) === isRead) && (after === null || Date.parse(String(x.created_dt)) >= Date.parse(after)),
        );
        return [200, listPage(found.map(visible), path, query)];
      }
      const m = ITEM_PATH.exec(path);
      if (!m) return null;
      const owner = scope();
      const message = boxes[m[1] === 'messages' ? 'sms' : 'email'].find((x) => String(x.id) === m[2] && x.identity === owner);
      if (!message) return notFound; // Another identity's message does not exist for this one.
      if (method === 'GET') return [200, visible(message)];
      // Nothing in the real API changes is_read (RAVI-CONTRACT.md): only a test that opts in gets a PATCH.
      if (method !== 'PATCH' || !options.allowMarkRead) return [405, { detail: `Method "${method}" not allowed.` }];
      if (typeof body.is_read !== 'boolean') return [400, { is_read: ['Must be a valid boolean.'] }];
      message.is_read = body.is_read;
      return [200, visible(message)];
    },
  };
}
