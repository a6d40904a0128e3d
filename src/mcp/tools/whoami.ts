/** `whoami`: the identity this worktree's agent signs up with. Never a key or a secret. */
import { z } from 'zod';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { LeaseView } from '../lease.js';
import { jsonResult } from './result.js';

export function registerWhoami(server: McpServer, lease: LeaseView): void {
  server.registerTool(
    'whoami',
    {
      title: 'This worktree\'s identity',
      description: 'The agent identity of this git worktree: its name, the email address and phone number to sign up with, and when its lease began (messages before then are not this agent\'s).',
      inputSchema: {},
      outputSchema: {
        name: z.string(),
        email: z.string().nullable(),
        phone: z.string().nullable(),
        lease_start: z.string().describe('ISO 8601 time the lease began'),
        worktree: z.string(),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async () => {
      const me = await lease.identity();
      return jsonResult({ name: me.name, email: me.email, phone: me.phone, lease_start: me.leaseStart, worktree: me.worktree });
    },
  );
}
