/**
 * The seam between the MCP tools and the identity lifecycle: who this worktree's agent is and since
 * when (its lease start), which messages it may see (only those of its own lease, through the same
 * leaseInbox as `inbox`, `otp` and the dashboard), and the record of what it was handed.
 */
import type { Logger } from '../util/logger.js';
import type { Config } from '../config/types.js';
import type { Provider } from '../providers/types.js';
import { findWorktreeIdentity } from '../agent/worktree-identity.js';
import { listInbox, type FoundMessage, type InboxMessage } from '../agent/find-message.js';
import { inboxWakeup, type Wakeup } from '../agent/inbox-watch.js';
import { leaseInbox } from '../agent/lease-inbox.js';
import { appendAudit } from '../audit/audit-log.js';

/** What an agent may know about its identity: no key, no secret. */
export interface LeaseIdentity {
  readonly name: string;
  readonly uuid: string;
  readonly email: string | null;
  readonly phone: string | null;
  /** ISO time the lease began; messages before it belong to someone else. */
  readonly leaseStart: string;
  readonly leaseId: string;
  readonly worktree: string;
  readonly branch: string | null;
}

export interface LeaseView {
  /** This worktree's identity now; throws NoIdentityError (with the command to run) when it has none. */
  identity(): Promise<LeaseIdentity>;
  /** The lease's messages, email and SMS, newest first. */
  messages(identity: LeaseIdentity, options: { signal?: AbortSignal }): Promise<InboxMessage[]>;
  /** Notes which message was handed to the agent (never the code or link itself). */
  recordHandedOut(identity: LeaseIdentity, what: 'code' | 'link', found: FoundMessage): Promise<void>;
  /** Wakes a wait when the inbox may have changed; null when only polling can tell. */
  wakeup(identity: LeaseIdentity): Wakeup | null;
}

export function worktreeLease(config: Config, provider: Provider, worktree: string, logger: Logger): LeaseView {
  return {
    async identity() {
      const me = await findWorktreeIdentity(config, provider, worktree);
      return { name: me.name, uuid: me.uuid, email: me.email, phone: me.phone, leaseStart: me.leaseSince, leaseId: me.leaseId, worktree: me.worktree, branch: me.branch };
    },
    async messages(identity, options) {
      const inbox = leaseInbox(provider, config.stateDir, { uuid: identity.uuid, leaseId: identity.leaseId, leaseSince: identity.leaseStart, worktree: identity.worktree });
      return listInbox(inbox, { unreadOnly: false, signal: options.signal });
    },
    async recordHandedOut(identity, what, found) {
      await appendAudit(config.stateDir, {
        type: what === 'code' ? 'code.handed' : 'link.handed', repo: null, worktree: identity.worktree, branch: identity.branch, identity: identity.name,
        detail: { messageId: found.messageId, kind: found.kind, from: found.from, markedRead: false, via: 'mcp' },
      }).catch((error: unknown) => logger.warn({ err: error }, 'could not write the audit log'));
    },
    wakeup: (identity) => inboxWakeup(provider, config.stateDir, identity.uuid),
  };
}
