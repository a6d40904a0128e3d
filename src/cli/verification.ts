/**
 * What `otp` and `link` share: the newest verification code or link in this worktree's own inbox (email and
 * SMS). `--wait` waits for one that was not there when the call began (or, `--since-setup`, any since setup);
 * a timeout says what the inbox did hold and which call would take it.
 */
import type { Extractor, FoundMessage, InboxMessage } from '../agent/find-message.js';
import type { LeaseInbox } from '../agent/lease-inbox.js';
import type { WorktreeIdentity } from '../agent/worktree-identity.js';
import type { CommandInput } from './command.js';
import type { AgentContext } from './context.js';
import { ExitCode, type ExitCodeValue } from './exit-codes.js';
import { AGENT_FLAGS, json, VERIFICATION_FLAGS } from './shared-flags.js';
import { writeJson, writeLine } from './io.js';

export const FLAGS = { ...VERIFICATION_FLAGS, ...AGENT_FLAGS, json };
type Flags = CommandInput<typeof FLAGS>['flags'];
export type What = 'code' | 'link';

export interface Verification {
  readonly what: What;
  /** Loads the extractor; called only when there is a message to read (an empty inbox loads no extractor). */
  readonly extract: () => Promise<Extractor>;
  /** What else narrows the search, for the not-found message (`matching /verify/i`); null for nothing. */
  readonly narrowedBy: string | null;
}

export async function runVerification(input: CommandInput<typeof FLAGS>, verification: Verification): Promise<ExitCodeValue> {
  const { what, narrowedBy } = verification;
  // The call began when this process did: a message that landed while node was starting is newer than the call.
  const calledAt = Math.floor(Date.now() - process.uptime() * 1000); // not performance.timeOrigin: it loads perf_hooks (11 modules)
  const [{ createAgentContext }, { findWorktreeIdentity }, { listInbox, newestAccepted, waitForMessage }, { leaseInbox }] = await Promise.all([
    import('./context.js'),
    import('../agent/worktree-identity.js'),
    import('../agent/find-message.js'),
    import('../agent/lease-inbox.js'),
  ]);
  let extractor: Promise<Extractor> | null = null;
  const extract = (): Promise<Extractor> => (extractor ??= verification.extract());
  const context = await createAgentContext(input);
  const { provider, config } = context;
  const { flags, io } = input;
  const me = await findWorktreeIdentity(config, provider, context.worktree, context.located);
  // Only this lease's messages (the inbox keeps out earlier ones): the identity may have served another worktree.
  const inbox = leaseInbox(provider, config.stateDir, me);
  const since = flags.sinceSetup ? Date.parse(me.leaseSince) : null;
  const accept = flags.wait !== null && !flags.sinceSetup ? await newerThanTheCall(inbox, calledAt) : undefined;
  // --mark-read consumes: it takes the newest unread one, so the next call gets the next one.
  const unreadOnly = flags.markRead || flags.unread;
  let listing: InboxMessage[] = [];
  const find = async () => newestAccepted((listing = await listInbox(inbox, { unreadOnly })), extract, { since, accept });
  let found: FoundMessage | null;
  if (flags.wait === null) found = await find();
  else {
    const { inboxWakeup } = await import('../agent/inbox-watch.js');
    found = await waitForMessage(find, { timeoutMs: flags.wait, wakeup: inboxWakeup(provider, config.stateDir, me.uuid) });
  }
  if (found === null) {
    // Without --wait the one listing just made is the inbox as the message should describe it (when it was of every message).
    const listedAll = flags.wait === null && !unreadOnly ? listing : null;
    io.stderr.write(`${await notFound(context, me, inbox, what, extract, { since, accept, narrowedBy, listedAll })}\n`);
    if (flags.json) writeJson(io.stdout, { ok: false, [what]: null });
    return ExitCode.NOT_FOUND;
  }
  await handOver(context, me, inbox, what, found);
  if (flags.json) {
    writeJson(io.stdout, { ok: true, [what]: found.value, messageId: found.messageId, kind: found.kind, from: found.from, subject: found.subject, receivedAt: found.receivedAt, markedRead: flags.markRead });
  } else {
    writeLine(io.stdout, found.value);
    io.stderr.write(`(${found.kind} ${found.messageId} from ${found.from}, ${found.receivedAt})\n`);
  }
  return ExitCode.OK;
}

/**
 * "Newer than the call", kept even when the provider's clock differs from ours: every message already in the
 * inbox when the call began is old, whatever its timestamp (a code stamped a second before the call used to
 * pass a 5 s skew allowance). Our clock only rescues a message that landed between the process start and that
 * first listing, and there a skew of d ms can misjudge only messages within d ms of the call.
 */
async function newerThanTheCall(inbox: LeaseInbox, calledAt: number) {
  const [emails, sms] = await Promise.all([inbox.listEmails(), inbox.listSms()]);
  const present = new Set([...emails.map((m) => `email:${m.id}`), ...sms.map((m) => `sms:${m.id}`)]);
  return (message: { readonly kind: 'email' | 'sms'; readonly id: string; readonly receivedAt: string }): boolean =>
    !present.has(`${message.kind}:${message.id}`) || Date.parse(message.receivedAt) >= calledAt;
}

/**
 * Which message was handed to which agent (never the code or link itself). --mark-read records it on our side,
 * per lease: Ravi's API has no call that marks a message read.
 */
async function handOver(context: AgentContext<Flags>, me: WorktreeIdentity, inbox: LeaseInbox, what: What, found: FoundMessage): Promise<void> {
  const { markRead } = context.flags;
  if (markRead) await inbox.markHanded(found.kind, found.messageId);
  const { appendAudit } = await import('../audit/audit-log.js');
  await appendAudit(context.config.stateDir, {
    type: what === 'code' ? 'code.handed' : 'link.handed', repo: null, worktree: me.worktree, branch: me.branch, identity: me.name,
    detail: { messageId: found.messageId, kind: found.kind, from: found.from, markedRead: markRead },
  }).catch(async (error: unknown) => {
    const { createLogger } = await import('../util/logger.js');
    createLogger(context.flags.logLevel).warn({ err: error }, 'could not write the audit log');
  });
}

interface Filters {
  readonly since: number | null;
  readonly accept: ((message: { readonly kind: 'email' | 'sms'; readonly id: string; readonly receivedAt: string }) => boolean) | undefined;
  /** What else narrows the search, for the message (`matching /verify/i`). */
  readonly narrowedBy: string | null;
  /** Every message of the lease, as the search just listed them; null: list them again. */
  readonly listedAll: readonly InboxMessage[] | null;
}

/** Says what the inbox holds and which call would take it: a plain `link` after `otp --wait` took the mail, say. */
async function notFound(context: AgentContext<Flags>, me: WorktreeIdentity, inbox: LeaseInbox, what: What, extract: () => Promise<Extractor>, filters: Filters): Promise<string> {
  const { flags } = context;
  const command = what === 'code' ? 'otp' : 'link';
  const scope = flags.sinceSetup ? ` since this worktree's lease began (${me.leaseSince})` : filters.accept !== undefined ? ' after this call began' : '';
  const waited = flags.wait === null ? '' : ` within ${Math.round(flags.wait / 1000)}s`;
  const head = `No verification ${what} arrived for ${me.email ?? me.name}${scope}${waited}`;
  const { listInbox, pickNewest } = await import('../agent/find-message.js');
  // Every message (the search's own listing when it made one); the newest with a value is picked from it.
  const all = filters.listedAll ?? (await listInbox(inbox, { unreadOnly: false }));
  if (all.length === 0) return `${head}. The inbox is empty${localMailHint(context)}.`;
  const emails = all.filter((m) => m.kind === 'email').length;
  const holds = `The inbox holds ${emails} email${emails === 1 ? '' : 's'} and ${all.length - emails} SMS`;
  const newest = pickNewest(all, await extract());
  const narrowed = filters.narrowedBy === null ? '' : ` ${filters.narrowedBy}`;
  if (newest === null) return `${head}. ${holds}, none with a verification ${what}${narrowed}.`;
  const old = filters.accept !== undefined ? !filters.accept({ kind: newest.kind, id: newest.messageId, receivedAt: newest.receivedAt })
    : filters.since !== null && Date.parse(newest.receivedAt) < filters.since;
  const why: string[] = [];
  const tries: string[] = [];
  if (old) {
    why.push(flags.sinceSetup ? 'it arrived before this lease began' : 'it was already there when this call began');
    tries.push(`\`ravi-orchestrator ${command}\` (no --wait) takes the newest one`);
    if (!flags.sinceSetup) tries.push(`\`ravi-orchestrator ${command} --wait ${Math.round((flags.wait ?? 0) / 1000)}s --since-setup\` counts every message of this lease`);
  }
  // Read: marked so by the provider, or handed out before with --mark-read. Only --unread and --mark-read leave read
  // ones out, so only they list the unread ones (which reads what --mark-read handed out, handed-messages.ts).
  if ((flags.unread || flags.markRead) && !(await listInbox(inbox, { unreadOnly: true })).some((m) => m.kind === newest.kind && m.id === newest.messageId)) {
    why.push('it was taken before (--mark-read) or is marked read');
    tries.push('leave out --unread and --mark-read to count read messages');
  }
  const found = `${holds}; the newest with a ${what} is ${newest.kind} ${newest.messageId} from ${newest.from} (${newest.receivedAt})`;
  return why.length === 0 ? `${head}. ${found}.` : `${head}. ${found}, left out because ${why.join(' and ')}. Try: ${tries.join('; or ')}.`;
}

/** Local mail only arrives while the daemon or `mail serve` runs its servers. */
export function localMailHint(context: Pick<AgentContext, 'config' | 'provider'>): string {
  if (context.provider.kind !== 'local') return '';
  const { mail } = context.config;
  return mail.enabled
    ? ` (local mail arrives through SMTP 127.0.0.1:${mail.smtpPort} and SMS http://127.0.0.1:${mail.smsPort}/sms while the daemon or \`ravi-orchestrator mail serve\` runs)`
    : ' (local mail is disabled: mail.enabled is false)';
}
