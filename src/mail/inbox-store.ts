/**
 * Durable per-identity inboxes of the local provider: one JSON file per message under
 * `<stateDir>/local/inbox/<identityUuid>/{email,sms}/<id>.json` (folders 0700, files 0600), in Ravi's field names.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type * as Valibot from 'valibot';
import type { EmailMessage, SmsMessage } from '../providers/types.js';

export interface NewEmail {
  from_email: string;
  to_email: string;
  cc: string;
  subject: string;
  text_content: string;
  html_content: string;
  attachments: Array<{ filename: string | null; content_type: string; size: number }>;
  message_id: string | null;
}

export interface NewSms {
  from_number: string;
  to_number: string;
  body: string;
}

export type MessageKind = 'email' | 'sms';

export interface PrunePolicy {
  /** Messages older than this are removed. */
  maxAgeMs: number;
  /** At most this many messages are kept per identity and kind (the newest). */
  maxMessages: number;
}

export interface InboxStore {
  /** Durable when it resolves: file fsynced and folder fsynced (an SMTP 250 is sent only after this). */
  addEmail(identityUuid: string, email: NewEmail): Promise<EmailMessage>;
  addSms(identityUuid: string, sms: NewSms): Promise<SmsMessage>;
  /** Newest first; unreadable or corrupt files are skipped. */
  listEmails(identityUuid: string, options?: { unreadOnly?: boolean }): Promise<EmailMessage[]>;
  listSms(identityUuid: string, options?: { unreadOnly?: boolean }): Promise<SmsMessage[]>;
  /** False when the identity has no such (readable) message. */
  markRead(kind: MessageKind, identityUuid: string, id: string): Promise<boolean>;
  deleteInbox(identityUuid: string): Promise<void>;
  /** Applies the policy per identity and kind; returns how many messages were removed. */
  prune(policy: PrunePolicy): Promise<number>;
}

/** The folder an identity's messages of one kind land in (what `otp --wait` watches); the same path createInboxStore writes. */
export function inboxFolder(stateDir: string, uuid: string, kind: MessageKind): string {
  return join(stateDir, 'local', 'inbox', checkIdentityUuid(uuid), kind);
}

export function createInboxStore(stateDir: string): InboxStore {
  const root = join(stateDir, 'local', 'inbox');
  const folder = (uuid: string, kind: MessageKind) => inboxFolder(stateDir, uuid, kind);

  return {
    async addEmail(uuid, email) {
      const dir = folder(uuid, 'email');
      const id = await newMessageId();
      const message = { id, url: null, ...email, direction: 'incoming', is_read: false, thread_id: null, created_dt: idTime(id) };
      await writeMessage(dir, message);
      return message;
    },
    async addSms(uuid, sms) {
      const dir = folder(uuid, 'sms');
      const id = await newMessageId();
      const message = { id, url: null, ...sms, message_sid: null, phone: sms.to_number, direction: 'incoming', is_read: false, created_dt: idTime(id) };
      await writeMessage(dir, message);
      return message;
    },
    async listEmails(uuid, options) {
      return listMessages(folder(uuid, 'email'), (schemas) => schemas.email, options?.unreadOnly ?? false);
    },
    async listSms(uuid, options) {
      return listMessages(folder(uuid, 'sms'), (schemas) => schemas.sms, options?.unreadOnly ?? false);
    },
    async markRead(kind, uuid, id) {
      const dir = folder(uuid, kind);
      if (!ID_PATTERN.test(id)) return false; // also keeps the id from naming a path elsewhere
      const schemas = await messageSchemas();
      const message = kind === 'email' ? await readMessage(dir, id, schemas.email, schemas.safeParse) : await readMessage(dir, id, schemas.sms, schemas.safeParse);
      if (message === null) return false;
      if (!message.is_read) await writeMessage(dir, { ...message, is_read: true });
      return true;
    },
    async deleteInbox(uuid) {
      await rm(join(root, checkIdentityUuid(uuid)), { recursive: true, force: true });
    },
    async prune(policy) {
      let removed = 0;
      for (const uuid of readdirOrEmpty(root).filter((name) => UUID_PATTERN.test(name))) {
        for (const kind of ['email', 'sms'] as const) removed += await pruneFolder(join(root, uuid, kind), policy);
      }
      return removed;
    },
  };
}

const UUID_PATTERN = /^[A-Za-z0-9-]{1,128}$/;
/** `<ms since epoch, base36, 9 digits>-<12 hex random>`: sorts by time, unique across processes. */
const ID_PATTERN = /^[0-9a-z]{9}-[0-9a-f]{12}$/;
const MESSAGE_FILE = /^([0-9a-z]{9}-[0-9a-f]{12})\.json$/;
/** Temp files a crash can leave behind: `<file>.<pid>-<hex>.ravi-tmp` (files/temp-files.ts), or `<file>.<hash>` from before. */
const TEMP_FILE = /^([0-9a-z]{9}-[0-9a-f]{12})\.json\.(?:[^.]+|\d+-[0-9a-f]{8}\.ravi-tmp)$/;
/** A temp file younger than this may belong to a write in flight. */
const TEMP_FILE_GRACE_MS = 10 * 60_000;

type Schemas = typeof import('./message-schemas.js');
let schemas: Promise<Schemas> | null = null;

/** valibot (~9 ms of CPU to load) comes with the first message file read: `otp` on an empty inbox never loads it. */
function messageSchemas(): Promise<Schemas> {
  schemas ??= import('./message-schemas.js');
  return schemas;
}

export function checkIdentityUuid(uuid: string): string {
  if (!UUID_PATTERN.test(uuid)) throw new TypeError(`Not an identity uuid: ${JSON.stringify(uuid)} (only letters, digits and "-" are allowed)`);
  return uuid;
}

let lastIdMs = 0;
async function newMessageId(): Promise<string> {
  const { randomHex } = await import('../util/random.js'); // writes only: readers of the inbox never load it
  // Strictly increasing within this process, so two messages in one millisecond keep their order.
  lastIdMs = Math.max(Date.now(), lastIdMs + 1);
  return `${lastIdMs.toString(36).padStart(9, '0')}-${randomHex(6)}`;
}

function idMs(id: string): number {
  return Number.parseInt(id.slice(0, 9), 36);
}

function idTime(id: string): string {
  return new Date(idMs(id)).toISOString();
}

async function writeMessage(dir: string, message: Stored): Promise<void> {
  const { writeFileAtomically } = await import('../files/atomic-write.js'); // writes only (the SMTP server, --mark-read)
  await writeFileAtomically(messageFile(dir, message.id), `${JSON.stringify(message, null, 2)}\n`, { mode: 0o600, dirMode: 0o700 });
}

interface Stored {
  id: string;
  is_read: boolean;
}

/**
 * Up to this many message files are read synchronously, more at most this many at once through the promise API.
 * Synchronously, a handful of small files cost less than starting libuv's thread pool (four threads, ~3 ms of
 * `otp`'s start-up, measured side by side on 2026-12-03), and `otp` and `inbox` nearly always meet a handful of
 * messages or none. A long inbox (up to mail.maxMessages) is read off the event loop, which in the daemon
 * also serves SMTP and the dashboard.
 */
const READ_CONCURRENCY = 16;

async function listMessages<T extends Stored>(dir: string, pick: (schemas: Schemas) => Valibot.GenericSchema<unknown, T>, unreadOnly: boolean): Promise<T[]> {
  const ids = messageIds(dir);
  if (ids.length === 0) return [];
  const schemas = await messageSchemas();
  const schema = pick(schemas);
  // p-queue and its four modules load only for a long inbox.
  const messages = ids.length <= READ_CONCURRENCY ? ids.map((id) => parseMessage(id, readTextOrEmpty(messageFile(dir, id)), schema, schemas.safeParse))
    : await (await import('../util/map-concurrent.js')).mapConcurrent(ids, READ_CONCURRENCY, (id) => readMessage(dir, id, schema, schemas.safeParse));
  return messages.filter((m): m is T => m !== null && !(unreadOnly && m.is_read));
}

/** Ids of the folder's message files, newest first (temp files and strangers ignored). */
function messageIds(dir: string): string[] {
  const ids = readdirOrEmpty(dir).flatMap((name) => MESSAGE_FILE.exec(name)?.[1] ?? []);
  return ids.sort().reverse();
}

/** The message, or null when it is gone, torn, corrupt or not ours: one bad file never breaks a listing. */
async function readMessage<T extends Stored>(dir: string, id: string, schema: Valibot.GenericSchema<unknown, T>, safeParse: Schemas['safeParse']): Promise<T | null> {
  return parseMessage(id, await readFile(messageFile(dir, id), 'utf8').catch(() => ''), schema, safeParse);
}

function messageFile(dir: string, id: string): string {
  return join(dir, `${id}.json`);
}

/** `text`: the file's; empty when it could not be read (gone, or not a file), which parses as no message. */
function parseMessage<T extends Stored>(id: string, text: string, schema: Valibot.GenericSchema<unknown, T>, safeParse: Schemas['safeParse']): T | null {
  try {
    const parsed = safeParse(schema, JSON.parse(text));
    return parsed.success && parsed.output.id === id ? parsed.output : null;
  } catch {
    return null;
  }
}

function readTextOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

async function pruneFolder(dir: string, policy: PrunePolicy): Promise<number> {
  const now = Date.now();
  const names = readdirOrEmpty(dir);
  let removed = 0;
  for (const [index, id] of messageIds(dir).entries()) {
    if (index < policy.maxMessages && now - idMs(id) <= policy.maxAgeMs) continue;
    await rm(messageFile(dir, id), { force: true });
    removed += 1;
  }
  // Temp files a crash left behind; not counted, they never were messages.
  for (const name of names) {
    const id = TEMP_FILE.exec(name)?.[1];
    if (id !== undefined && now - idMs(id) > Math.max(policy.maxAgeMs, TEMP_FILE_GRACE_MS)) await rm(join(dir, name), { force: true });
  }
  return removed;
}

/** Synchronous: one folder of at most mail.maxMessages names, for which the thread pool would cost more. */
function readdirOrEmpty(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw error;
  }
}
