/** `list_messages`: this lease's email and SMS, newest first, each with the code and link found in it. */
import { z } from 'zod';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { extractCode } from '../../agent/extract-code.js';
import { extractLink } from '../../agent/extract-link.js';
import { htmlToText } from '../../agent/html-text.js';
import type { InboxMessage } from '../../agent/find-message.js';
import type { LeaseView } from '../lease.js';
import { jsonResult } from './result.js';

/** Long enough for any verification mail; a newsletter is cut rather than flooding the agent's context. */
const MAX_TEXT = 2000;

const messageShape = z.object({
  id: z.string(),
  channel: z.enum(['email', 'sms']),
  from: z.string(),
  to: z.string(),
  subject: z.string(),
  received_at: z.string(),
  is_read: z.boolean(),
  text: z.string().describe(`The message's text (an email's HTML as text when it has no text part), cut at ${MAX_TEXT} characters`),
  code: z.string().nullable().describe('The verification code found in it, if any'),
  link: z.string().nullable().describe('The verification link found in it, if any'),
});

export function registerListMessages(server: McpServer, lease: LeaseView): void {
  server.registerTool(
    'list_messages',
    {
      title: 'This lease\'s messages',
      description: 'The email and SMS messages this worktree\'s identity received during its lease, newest first.',
      inputSchema: {
        limit: z.number().int().min(1).max(100).default(20).describe('At most this many messages (1-100, default 20).'),
        channel: z.enum(['email', 'sms', 'any']).default('any').describe('Which inbox. Default any.'),
      },
      outputSchema: { messages: z.array(messageShape), total: z.number().int().describe('Messages in the lease (before limit)') },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (args, extra) => {
      const me = await lease.identity();
      const all = (await lease.messages(me, { signal: extra.signal })).filter((m) => args.channel === 'any' || m.kind === args.channel);
      return jsonResult({ messages: all.slice(0, args.limit).map(describe), total: all.length });
    },
  );
}

function describe(message: InboxMessage): z.infer<typeof messageShape> {
  const { text, html } = message.text;
  const body = text !== undefined && text !== null && text.trim() !== '' ? text : html ? htmlToText(html) : '';
  return {
    id: message.id,
    channel: message.kind,
    from: message.from,
    to: message.to,
    subject: message.subject,
    received_at: message.receivedAt,
    is_read: message.isRead,
    text: body.length > MAX_TEXT ? `${body.slice(0, MAX_TEXT - 1)}…` : body,
    code: extractCode(message.text),
    link: extractLink(message.text),
  };
}
