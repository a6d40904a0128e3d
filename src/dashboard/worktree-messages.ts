/**
 * The messages a worktree's row may show in the dashboard, email and SMS in one list, newest first.
 * `messagesForWorktree` is the one place that decides which messages those are: every route of the
 * message view (the list and each single message) reads through it, so narrowing it narrows all of them.
 */
import type { EmailMessage, Provider, SmsMessage } from '../providers/types.js';
import type { DashboardWorktree } from './snapshot.js';
import { leaseInbox } from '../agent/lease-inbox.js';

export type MessageKind = 'email' | 'sms';

/** One message as the view shows it; every field is the provider's text, to be escaped when rendered. */
export interface ShownMessage {
  readonly kind: MessageKind;
  readonly id: string;
  readonly from: string;
  readonly to: string;
  /** '' for an SMS. */
  readonly subject: string;
  readonly receivedAt: string;
  /** The text part of an email, or the body of an SMS. */
  readonly text: string;
  /** The HTML part of an email as received ('' for none); shown as text only, never rendered. */
  readonly html: string;
  readonly read: boolean;
}

/**
 * The messages this worktree's view may show, newest first, or null when it may show none: a row with no
 * active lease (unmanaged, released, or an orphan whose worktree is gone) has no messages to show.
 * Only messages of the worktree's own lease, as its agent sees them (an identity may have served an
 * earlier worktree). Reading never marks a message read: agents rely on `--unread`.
 */
export async function messagesForWorktree(provider: Provider, stateDir: string, row: DashboardWorktree, options: { signal?: AbortSignal } = {}): Promise<ShownMessage[] | null> {
  if (row.worktree === null || !row.managed || row.uuid === null || row.leaseId === null || row.leaseSince === null || row.env === 'released') return null;
  const inbox = leaseInbox(provider, stateDir, { uuid: row.uuid, leaseId: row.leaseId, leaseSince: row.leaseSince, worktree: row.worktree });
  const [emails, sms] = await Promise.all([inbox.listEmails({ signal: options.signal }), inbox.listSms({ signal: options.signal })]);
  return [...emails.map(fromEmail), ...sms.map(fromSms)].sort(newestFirst);
}

function fromEmail(m: EmailMessage): ShownMessage {
  return { kind: 'email', id: m.id, from: m.from_email, to: m.to_email, subject: m.subject, receivedAt: m.created_dt, text: m.text_content, html: m.html_content, read: m.is_read };
}

function fromSms(m: SmsMessage): ShownMessage {
  return { kind: 'sms', id: m.id, from: m.from_number, to: m.to_number, subject: '', receivedAt: m.created_dt, text: m.body, html: '', read: m.is_read };
}

/** Equal times (a burst within one millisecond) keep email before SMS and the provider's own order. */
function newestFirst(a: ShownMessage, b: ShownMessage): number {
  return (Date.parse(b.receivedAt) || 0) - (Date.parse(a.receivedAt) || 0);
}
