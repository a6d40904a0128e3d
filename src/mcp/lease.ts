/**
 * The seam between the MCP tools and the identity lifecycle: who this worktree's agent is and since
 * when (its lease start), which messages it may see (only those of its own lease), and the record of
 * what it was handed. Identities are moving to leases from a pool (issue 12); this file is the one
 * place the MCP server learns about them, so it is the one place to re-point.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import type { Provider } from '../providers/types.js';
import { findWorktreeIdentity } from '../agent/worktree-identity.js';
import { listInbox, type FoundMessage, type InboxMessage } from '../agent/find-message.js';
import { inboxWakeup, type Wakeup } from '../agent/inbox-watch.js';
import { appendAudit } from '../audit/audit-log.js';

/** What an agent may know about its identity: no key, no secret. */
export interface LeaseIdentity {
  readonly name: string;
  readonly uuid: string;
  readonly email: string | null;
  readonly phone: string | null;
  /** ISO time the lease began; messages before it belong to someone else. */
  readonly leaseStart: string;
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
      // Until leases land, the identity's provisioning time is where its lease starts.
      return { name: me.name, uuid: me.uuid, email: me.email, phone: me.phone, leaseStart: me.createdAt, worktree: me.worktree, branch: me.branch };
    },
    async messages(identity, options) {
      const start = Date.parse(identity.leaseStart);
      const all = await listInbox(provider, identity.uuid, { unreadOnly: false, signal: options.signal });
      return all.filter((message) => Date.parse(message.receivedAt) >= start);
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
