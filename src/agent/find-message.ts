/**
 * Finds the newest message of this lease (email and SMS) that yields a value (a code or a link),
 * optionally only messages newer than a moment; and waits for one: woken at once by a watched inbox
 * (the local provider) and backed by polling with backoff (Ravi, or a watch that misses an event).
 */
import type { EmailMessage, SmsMessage } from '../providers/types.js';
import { isTransient } from '../util/errors.js';
import type { MessageText } from './extract-code.js';
import type { Wakeup } from './inbox-watch.js';
import type { LeaseInbox } from './lease-inbox.js';

/** Messages stamped a little before a wait began still count: the provider's clock is not ours. */
export const CLOCK_SKEW_MS = 5_000;

export interface FoundMessage {
  readonly kind: 'email' | 'sms';
  readonly messageId: string;
  readonly from: string;
  readonly subject: string;
  readonly receivedAt: string;
  readonly value: string;
}

/** One email or SMS, reduced to what finding and listing need. */
export interface InboxMessage {
  readonly kind: 'email' | 'sms';
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly subject: string;
  readonly receivedAt: string;
  readonly isRead: boolean;
  readonly text: MessageText;
}

export interface FindOptions {
  /** Only messages received at or after this time (ms since epoch). */
  readonly since: number | null;
  /**
   * Only messages this accepts: `otp --wait` passes "not in the inbox when the call began", which needs no
   * agreement between the provider's clock and ours.
   */
  readonly accept?: (message: { readonly kind: 'email' | 'sms'; readonly id: string; readonly receivedAt: string }) => boolean;
}

export type Extractor = (message: MessageText) => string | null;

/**
 * The newest of these messages (a listInbox of this lease: it keeps out what arrived before the lease) that the
 * options accept and that yields a value. `extract` loads the extractor, only when there is a message to read:
 * `otp` on an empty inbox loads none.
 */
export async function newestAccepted(messages: readonly InboxMessage[], extract: () => Promise<Extractor>, options: FindOptions): Promise<FoundMessage | null> {
  const accepted = messages.filter((m) => (options.since === null || Date.parse(m.receivedAt) >= options.since) && (options.accept === undefined || options.accept(m)));
  return accepted.length === 0 ? null : pickNewest(accepted, await extract());
}

/** The lease's email and SMS together, newest first. */
export async function listInbox(inbox: LeaseInbox, options: { unreadOnly: boolean; signal?: AbortSignal }): Promise<InboxMessage[]> {
  const call = { unreadOnly: options.unreadOnly, signal: options.signal };
  const [emails, sms] = await Promise.all([inbox.listEmails(call), inbox.listSms(call)]);
  return [...emails.map(fromEmail), ...sms.map(fromSms)].sort((a, b) => Date.parse(b.receivedAt) - Date.parse(a.receivedAt));
}

/** The first message (in the given order) that yields a value. */
export function pickNewest(messages: readonly InboxMessage[], extract: Extractor): FoundMessage | null {
  for (const message of messages) {
    const value = extract(message.text);
    if (value !== null) return { kind: message.kind, messageId: message.id, from: message.from, subject: message.subject, receivedAt: message.receivedAt, value };
  }
  return null;
}

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** First poll interval; grows 1.5x up to 10 s. @default 1000 */
  readonly initialIntervalMs?: number;
  /** Wakes the wait as soon as the inbox may have changed; polling then only backs it up. */
  readonly wakeup?: Wakeup | null;
}

/**
 * Calls `find` until it returns a value or the timeout passes; transient provider errors (429, 5xx)
 * slow it down. An abort stops it at once (the promise rejects with the signal's reason).
 */
export async function waitForMessage<T>(find: () => Promise<T | null>, options: WaitOptions): Promise<T | null> {
  const deadline = Date.now() + options.timeoutMs;
  const wakeup = options.wakeup ?? null;
  let interval = options.initialIntervalMs ?? 1000;
  try {
    for (;;) {
      options.signal?.throwIfAborted();
      wakeup?.clear(); // whatever changed before this read, the read sees
      try {
        const found = await find();
        if (found !== null) return found;
      } catch (error) {
        if (options.signal?.aborted || !isTransient(error)) throw error;
        interval = Math.min(interval * 2, 30_000); // the provider is struggling or rate limiting: back off harder
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) return null;
      await pause(Math.min(interval, remaining), options.signal, wakeup);
      interval = Math.min(Math.round(interval * 1.5), 10_000);
    }
  } finally {
    wakeup?.close();
  }
}

function fromEmail(message: EmailMessage): InboxMessage {
  return {
    kind: 'email', id: message.id, from: message.from_email, to: message.to_email, subject: message.subject, receivedAt: message.created_dt, isRead: message.is_read,
    text: { subject: message.subject, text: message.text_content, html: message.html_content },
  };
}

function fromSms(message: SmsMessage): InboxMessage {
  return { kind: 'sms', id: message.id, from: message.from_number, to: message.to_number, subject: '', receivedAt: message.created_dt, isRead: message.is_read, text: { text: message.body } };
}

/** Resolves after `ms` or at the next wakeup, whichever is first; rejects when the signal aborts. */
function pause(ms: number, signal: AbortSignal | undefined, wakeup: Wakeup | null): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    let settled = false;
    const finish = (error?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (error === undefined) resolve();
      else reject(error);
    };
    const timer = setTimeout(() => finish(), ms);
    const onAbort = () => finish(signal?.reason ?? new Error('aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    wakeup?.next().then(() => finish(), finish);
  });
}
