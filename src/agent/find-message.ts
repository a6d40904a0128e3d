/**
 * Finds the newest message of this identity (email and SMS) that yields a value (a code or a link),
 * optionally only messages newer than a moment; and waits for one with polling backoff.
 */
import type { EmailMessage, Provider, SmsMessage } from '../providers/types.js';
import { isTransient } from '../util/errors.js';
import type { MessageText } from './extract-code.js';

export interface FoundMessage {
  readonly kind: 'email' | 'sms';
  readonly messageId: string;
  readonly from: string;
  readonly subject: string;
  readonly receivedAt: string;
  readonly value: string;
}

export interface FindOptions {
  /** Only messages received at or after this time (ms since epoch). */
  readonly since: number | null;
  readonly unreadOnly: boolean;
  /**
   * Only messages this accepts: `otp --wait` passes "not in the inbox when the call began", which needs no
   * agreement between the provider's clock and ours.
   */
  readonly accept?: (message: { readonly kind: 'email' | 'sms'; readonly id: string; readonly receivedAt: string }) => boolean;
  readonly signal?: AbortSignal;
}

export type Extractor = (message: MessageText) => string | null;

export async function findNewest(provider: Provider, identityUuid: string, extract: Extractor, options: FindOptions): Promise<FoundMessage | null> {
  const call = { unreadOnly: options.unreadOnly, signal: options.signal };
  const [emails, sms] = await Promise.all([provider.listEmails(identityUuid, call), provider.listSms(identityUuid, call)]);
  const candidates = [...emails.map(fromEmail), ...sms.map(fromSms)]
    .filter((c) => options.since === null || Date.parse(c.receivedAt) >= options.since)
    .filter((c) => options.accept === undefined || options.accept(c))
    .sort((a, b) => Date.parse(b.receivedAt) - Date.parse(a.receivedAt));
  for (const candidate of candidates) {
    const value = extract(candidate.text);
    if (value !== null) return { kind: candidate.kind, messageId: candidate.id, from: candidate.from, subject: candidate.subject, receivedAt: candidate.receivedAt, value };
  }
  return null;
}

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** First poll interval; grows 1.5x up to 10 s. @default 1000 */
  readonly initialIntervalMs?: number;
}

/** Polls `find` until it returns a message or the timeout passes; transient provider errors (429, 5xx) slow it down. */
export async function waitForMessage(find: () => Promise<FoundMessage | null>, options: WaitOptions): Promise<FoundMessage | null> {
  const deadline = Date.now() + options.timeoutMs;
  let interval = options.initialIntervalMs ?? 1000;
  for (;;) {
    try {
      const found = await find();
      if (found !== null) return found;
    } catch (error) {
      if (!isTransient(error)) throw error;
      interval = Math.min(interval * 2, 30_000); // the provider is struggling or rate limiting: back off harder
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) return null;
    await sleep(Math.min(interval, remaining), options.signal);
    interval = Math.min(Math.round(interval * 1.5), 10_000);
  }
}

interface Candidate {
  readonly kind: 'email' | 'sms';
  readonly id: string;
  readonly from: string;
  readonly subject: string;
  readonly receivedAt: string;
  readonly text: MessageText;
}

function fromEmail(message: EmailMessage): Candidate {
  return {
    kind: 'email', id: message.id, from: message.from_email, subject: message.subject, receivedAt: message.created_dt,
    text: { subject: message.subject, text: message.text_content, html: message.html_content },
  };
}

function fromSms(message: SmsMessage): Candidate {
  return { kind: 'sms', id: message.id, from: message.from_number, subject: '', receivedAt: message.created_dt, text: { text: message.body } };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
