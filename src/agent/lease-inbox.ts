/**
 * A worktree's inbox as its agent may see it: only messages that arrived during its own lease (an
 * identity comes from a pool, so earlier mail belongs to an earlier task), and "unread" meaning neither
 * marked read by the provider nor already handed out with `--mark-read` (recorded on our side). Every
 * agent-facing reader (inbox, otp, link, the dashboard, the MCP server) goes through here.
 */
import type { EmailMessage, Provider, SmsMessage } from '../providers/types.js';
import type { MessageKind } from './handed-messages.js';

export interface Lease {
  readonly uuid: string;
  readonly leaseId: string;
  /** ISO time the lease began. */
  readonly leaseSince: string;
  /** For error messages. */
  readonly worktree?: string;
}

export interface LeaseListOptions {
  /** Only messages not marked read by the provider and not handed out with `--mark-read`. */
  readonly unreadOnly?: boolean;
  readonly signal?: AbortSignal;
}

export interface LeaseInbox {
  listEmails(options?: LeaseListOptions): Promise<EmailMessage[]>;
  listSms(options?: LeaseListOptions): Promise<SmsMessage[]>;
  /** Records that this message was handed out and marked read: it is never handed out again in this lease. */
  markHanded(kind: MessageKind, id: string): Promise<void>;
}

export function leaseInbox(provider: Provider, stateDir: string, lease: Lease): LeaseInbox {
  const from = Date.parse(lease.leaseSince);
  async function list<T extends { id: string; created_dt: string }>(
    kind: MessageKind,
    read: (options: { unreadOnly: boolean; since: string; signal?: AbortSignal; worktree?: string }) => Promise<T[]>,
    options: LeaseListOptions,
  ): Promise<T[]> {
    const unreadOnly = options.unreadOnly ?? false;
    const [messages, isHanded] = await Promise.all([
      read({ unreadOnly, since: lease.leaseSince, signal: options.signal, worktree: lease.worktree }),
      unreadOnly ? handedTest(stateDir, lease.leaseId, kind) : Promise.resolve(() => false),
    ]);
    // Checked here too, whatever the provider did with `since`.
    return messages.filter((m) => Date.parse(m.created_dt) >= from && !isHanded(m.id));
  }
  return {
    listEmails: (options = {}) => list('email', (o) => provider.listEmails(lease.uuid, o), options),
    listSms: (options = {}) => list('sms', (o) => provider.listSms(lease.uuid, o), options),
    markHanded: async (kind, id) => (await import('./handed-messages.js')).recordHanded(stateDir, lease.leaseId, { kind, id }),
  };
}

/** Whether a message of this kind was handed out in this lease (handed-messages.ts loads only for --unread/--mark-read). */
async function handedTest(stateDir: string, leaseId: string, kind: MessageKind): Promise<(id: string) => boolean> {
  const { handedKey, readHanded } = await import('./handed-messages.js');
  const handed = await readHanded(stateDir, leaseId);
  return (id) => handed.has(handedKey({ kind, id }));
}
