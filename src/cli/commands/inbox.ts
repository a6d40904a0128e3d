/** `inbox [email|sms] [--unread]`: this worktree's own messages, newest first. */
import type { EmailMessage, SmsMessage } from '../../providers/types.js';
import { defineCommand } from '../command.js';
import { ExitCode } from '../exit-codes.js';
import { writeJson, writeLine } from '../io.js';
import { AGENT_FLAGS, json, unread } from '../shared-flags.js';

export default defineCommand({
  summary: 'this worktree\'s messages, newest first',
  description:
    'This worktree\'s own messages (those that arrived during its lease), newest first: a table of time, unread mark, ' +
    'sender, subject (or SMS text) and id. --json keeps Ravi\'s field names.',
  flags: { unread, ...AGENT_FLAGS, json },
  positionals: [{ name: 'KIND', help: 'which inbox (default email)', optional: true, choices: ['email', 'sms'] }],
  examples: ['inbox', 'inbox sms --unread', 'inbox --json'],
  async run(input) {
    const [{ createAgentContext }, { findWorktreeIdentity }, { leaseInbox }, { formatTable }, { localMailHint }] = await Promise.all([
      import('../context.js'),
      import('../../agent/worktree-identity.js'),
      import('../../agent/lease-inbox.js'),
      import('../format/table.js'),
      import('../verification.js'),
    ]);
    const kind = input.positionals[0] ?? 'email';
    const context = await createAgentContext(input);
    const { io, flags } = input;
    const me = await findWorktreeIdentity(context.config, context.provider, context.worktree, context.located);
    // Only this lease's messages: the identity may have served another worktree before.
    const inbox = leaseInbox(context.provider, context.config.stateDir, me);
    const options = { unreadOnly: flags.unread };
    // Both kinds reduce to the same listing: the JSON keeps Ravi's fields, the table picks four columns.
    const listing =
      kind === 'email'
        ? { messages: await inbox.listEmails(options), address: me.email, label: 'SUBJECT', row: (m: EmailMessage) => [m.created_dt, m.is_read ? '' : '*', m.from_email, oneLine(m.subject), m.id] }
        : { messages: await inbox.listSms(options), address: me.phone, label: 'BODY', row: (m: SmsMessage) => [m.created_dt, m.is_read ? '' : '*', m.from_number, oneLine(m.body), m.id] };
    if (flags.json) writeJson(io.stdout, listing.messages);
    else if (listing.messages.length === 0) writeLine(io.stdout, `No ${flags.unread ? 'unread ' : ''}messages for ${listing.address ?? 'this identity'}${localMailHint(context)}.`);
    else {
      const rows = (listing.messages as Array<EmailMessage & SmsMessage>).map((m) => listing.row(m));
      for (const line of formatTable(['RECEIVED', 'NEW', 'FROM', listing.label, 'ID'], rows)) writeLine(io.stdout, line);
    }
    return ExitCode.OK;
  },
});

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 60 ? `${flat.slice(0, 57)}...` : flat;
}
