/**
 * An identity's email and SMS messages over Ravi's HTTP API (`GET /api/email-messages/`,
 * `GET /api/messages/`), read with the management key acting as the identity (`?identity=<uuid>`).
 * Read-only: Ravi has no call that marks a message read.
 * Shapes are validated: a message without an id or a receive time is an error, never dropped.
 */
import type { CallOptions, EmailMessage, ListMessagesOptions, Provider, SmsMessage } from '../types.js';
import { ProviderError } from '../../util/errors.js';
import type { QueryValue, RequestOptions } from './http-client.js';

/** What the message methods need from the provider: one request, and a list that follows pages. */
export interface MessageTransport {
  call(method: string, path: string, request?: RequestOptions): Promise<unknown>;
  listAll(path: string, request: { identity?: string; query?: Readonly<Record<string, QueryValue>> } & CallOptions): Promise<unknown[]>;
  badResponse(what: string, method: string, path: string): ProviderError;
}

type MessageKind = 'email' | 'sms';
const PATHS: Readonly<Record<MessageKind, string>> = { email: '/api/email-messages/', sms: '/api/messages/' };
const NAMES: Readonly<Record<MessageKind, string>> = { email: 'email', sms: 'SMS' };

export function createMessageMethods(transport: MessageTransport): Pick<Provider, 'listEmails' | 'listSms'> {
  async function list<T extends { id: string; is_read: boolean; created_dt: string }>(
    kind: MessageKind,
    identityUuid: string,
    options: ListMessagesOptions,
    convert: (read: FieldReader) => Omit<T, 'id' | 'is_read' | 'created_dt'>,
  ): Promise<T[]> {
    const path = PATHS[kind];
    const { unreadOnly = false, since = null, ...callOptions } = options;
    // `created_after` is in Ravi's API schema; the time check below holds whether or not a server honours it.
    const query = { ...(unreadOnly ? { is_read: 'false' } : {}), ...(since === null ? {} : { created_after: since }) };
    const from = since === null ? Number.NEGATIVE_INFINITY : Date.parse(since);
    const raw = await transport.listAll(path, { ...callOptions, identity: identityUuid, query });
    const byId = new Map<string, { message: T; time: number }>();
    for (const entry of raw) {
      const read = fieldReader(entry, transport, path);
      const { id, time, created_dt, is_read } = read.common(kind);
      // Offset pages repeat an entry when a message arrives between two pages; the id is the key.
      if (byId.has(id)) continue;
      // Defensive: a server that ignored `is_read=false` or `created_after` must not hand back those messages.
      if (unreadOnly && is_read) continue;
      if (time < from) continue;
      const message = { id, ...convert(read), is_read, created_dt } as T;
      byId.set(id, { message, time });
    }
    return [...byId.values()].sort(newestFirst).map((item) => item.message);
  }

  return {
    listEmails(identityUuid: string, options: ListMessagesOptions = {}): Promise<EmailMessage[]> {
      return list<EmailMessage>('email', identityUuid, options, (read) => ({
        from_email: read.text('from_email'),
        to_email: read.text('to_email'),
        subject: read.text('subject'),
        text_content: read.text('text_content'),
        html_content: read.text('html_content'),
      }));
    },

    listSms(identityUuid: string, options: ListMessagesOptions = {}): Promise<SmsMessage[]> {
      return list<SmsMessage>('sms', identityUuid, options, (read) => ({
        from_number: read.text('from_number'),
        to_number: read.text('to_number'),
        body: read.text('body'),
      }));
    },
  };
}

interface FieldReader {
  /** A text field; missing or null is ''. */
  text(name: string): string;
  /** The fields every message has, validated. */
  common(kind: MessageKind): { id: string; time: number; created_dt: string; is_read: boolean };
}

function fieldReader(entry: unknown, transport: MessageTransport, path: string): FieldReader {
  const bad = (what: string): ProviderError => transport.badResponse(what, 'GET', path);
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw bad('expected a JSON object');
  const fields = entry as Record<string, unknown>;
  return {
    text(name) {
      const value = fields[name];
      if (value === undefined || value === null) return '';
      if (typeof value !== 'string') throw bad(`a message's "${name}" is not a string`);
      return value;
    },
    common(kind) {
      const raw = fields.id;
      let id: string | null = null;
      if (typeof raw === 'string' && raw !== '') id = raw;
      else if (typeof raw === 'number' && Number.isFinite(raw)) id = String(raw);
      if (id === null) throw bad(`an ${NAMES[kind]} message has no id`);
      const created = fields.created_dt;
      const time = typeof created === 'string' ? Date.parse(created) : Number.NaN;
      if (typeof created !== 'string' || Number.isNaN(time)) throw bad(`${NAMES[kind]} message ${id} has no valid created_dt`);
      const read = fields.is_read;
      if (read !== undefined && read !== null && typeof read !== 'boolean') throw bad(`${NAMES[kind]} message ${id} has a non-boolean is_read`);
      return { id, time, created_dt: created, is_read: read === true };
    },
  };
}

/** Newest first; equal times fall back to the larger numeric id (ids grow), else the server's order. */
function newestFirst(a: { message: { id: string }; time: number }, b: { message: { id: string }; time: number }): number {
  if (a.time !== b.time) return b.time - a.time;
  const [x, y] = [Number(a.message.id), Number(b.message.id)];
  return /^\d+$/.test(a.message.id) && /^\d+$/.test(b.message.id) && x !== y ? y - x : 0;
}
