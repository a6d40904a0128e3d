/** `inbox [email|sms] [--unread]`: this worktree's own messages, newest first. */
import { findWorktreeIdentity } from '../../agent/worktree-identity.js';
import type { CommandContext } from '../context.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { UsageError } from '../args.js';
import { writeJson, writeLine } from '../io.js';
import { formatTable } from '../format/table.js';
import type { EmailMessage, SmsMessage } from '../../providers/types.js';
import { leaseInbox } from '../../agent/lease-inbox.js';

export async function inboxCommand(context: CommandContext): Promise<ExitCodeValue> {
  const kind = context.args.rest[0] ?? 'email';
  if (kind !== 'email' && kind !== 'sms') throw new UsageError(`inbox takes email or sms (got "${kind}")`);
  const me = await findWorktreeIdentity(context.config, context.provider, context.worktree ?? context.io.cwd);
  // Only this lease's messages: the identity may have served another worktree before.
  const inbox = leaseInbox(context.provider, context.config.stateDir, me);
  const options = { unreadOnly: context.args.unread };
  // Both kinds reduce to the same listing: the JSON keeps Ravi's fields, the table picks four columns.
  const listing =
    kind === 'email'
      ? { messages: await inbox.listEmails(options), address: me.email, label: 'SUBJECT', row: (m: EmailMessage) => [m.created_dt, m.is_read ? '' : '*', m.from_email, oneLine(m.subject), m.id] }
      : { messages: await inbox.listSms(options), address: me.phone, label: 'BODY', row: (m: SmsMessage) => [m.created_dt, m.is_read ? '' : '*', m.from_number, oneLine(m.body), m.id] };
  if (context.args.json) writeJson(context.io.stdout, listing.messages);
  else if (listing.messages.length === 0) writeLine(context.io.stdout, emptyInbox(context, listing.address));
  else {
    const rows = (listing.messages as Array<EmailMessage & SmsMessage>).map((m) => listing.row(m));
    for (const line of formatTable(['RECEIVED', 'NEW', 'FROM', listing.label, 'ID'], rows)) writeLine(context.io.stdout, line);
  }
  return ExitCode.OK;
}

function emptyInbox(context: CommandContext, address: string | null): string {
  const local = context.provider.kind === 'local' ? localMailHint(context) : '';
  return `No ${context.args.unread ? 'unread ' : ''}messages for ${address ?? 'this identity'}${local}.`;
}

/** Local mail only arrives while the daemon or `mail serve` runs its servers. */
export function localMailHint(context: CommandContext): string {
  const { mail } = context.config;
  return mail.enabled
    ? ` (local mail arrives through SMTP 127.0.0.1:${mail.smtpPort} and SMS http://127.0.0.1:${mail.smsPort}/sms while the daemon or \`ravi-orchestrator mail serve\` runs)`
    : ' (local mail is disabled: mail.enabled is false)';
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 60 ? `${flat.slice(0, 57)}...` : flat;
}
