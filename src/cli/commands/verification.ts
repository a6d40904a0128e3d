/**
 * `otp` and `link`: the newest verification code or link in this worktree's own inbox (email and
 * SMS). `--wait` polls until one newer than the call (or than setup, `--since-setup`) arrives.
 */
import { findWorktreeIdentity } from '../../agent/worktree-identity.js';
import { CLOCK_SKEW_MS, findNewest, waitForMessage, type Extractor } from '../../agent/find-message.js';
import { inboxWakeup } from '../../agent/inbox-watch.js';
import { extractCode } from '../../agent/extract-code.js';
import { extractLink } from '../../agent/extract-link.js';
import type { CommandContext } from '../context.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { writeJson, writeLine } from '../io.js';
import { localMailHint } from './inbox.js';
import { appendAudit } from '../../audit/audit-log.js';
import { leaseInbox } from '../../agent/lease-inbox.js';

export function otpCommand(context: CommandContext): Promise<ExitCodeValue> {
  return verificationCommand(context, 'code', extractCode);
}

export function linkCommand(context: CommandContext): Promise<ExitCodeValue> {
  const match = context.args.match;
  return verificationCommand(context, 'link', (message) => extractLink(message, match === null ? {} : { match }));
}

async function verificationCommand(context: CommandContext, what: 'code' | 'link', extract: Extractor): Promise<ExitCodeValue> {
  const started = Date.now();
  const { args, provider, io } = context;
  const me = await findWorktreeIdentity(context.config, provider, context.worktree ?? io.cwd);
  // Never earlier than this worktree's lease: the identity may have served another worktree before.
  const since = args.sinceSetup ? Date.parse(me.leaseSince) : args.waitMs !== null ? started - CLOCK_SKEW_MS : null;
  const inbox = leaseInbox(provider, context.config.stateDir, { ...me, worktree: me.worktree });
  // --mark-read consumes: it takes the newest unread one, so the next call gets the next one.
  const find = () => findNewest(inbox, extract, { since, unreadOnly: args.markRead || args.unread });
  const found = args.waitMs === null ? await find() : await waitForMessage(find, { timeoutMs: args.waitMs, wakeup: inboxWakeup(provider, context.config.stateDir, me.uuid) });
  if (found === null) {
    const scope = since === null ? '' : ` since ${new Date(since).toISOString()}`;
    const waited = args.waitMs === null ? '' : ` within ${Math.round(args.waitMs / 1000)}s`;
    const local = provider.kind === 'local' ? localMailHint(context) : '';
    io.stderr.write(`No verification ${what} arrived for ${me.email ?? me.name}${scope}${waited}${local}.\n`);
    if (args.json) writeJson(io.stdout, { ok: false, [what]: null });
    return ExitCode.NOT_FOUND;
  }
  if (args.markRead) await inbox.markHanded(found.kind, found.messageId);
  // Which message was handed to which agent, never the code or link itself.
  await appendAudit(context.config.stateDir, {
    type: what === 'code' ? 'code.handed' : 'link.handed', repo: null, worktree: me.worktree, branch: me.branch, identity: me.name,
    detail: { messageId: found.messageId, kind: found.kind, from: found.from, markedRead: args.markRead },
  }).catch((error: unknown) => context.logger.warn({ err: error }, 'could not write the audit log'));
  if (args.json) {
    writeJson(io.stdout, { ok: true, [what]: found.value, messageId: found.messageId, kind: found.kind, from: found.from, subject: found.subject, receivedAt: found.receivedAt, markedRead: args.markRead });
  } else {
    writeLine(io.stdout, found.value);
    io.stderr.write(`(${found.kind} ${found.messageId} from ${found.from}, ${found.receivedAt})\n`);
  }
  return ExitCode.OK;
}
