/**
 * `wait_for_code` and `wait_for_link`: one shape, two extractors (the ones `otp` and `link` use).
 * A wait reports progress when asked, stops the moment the client cancels (the request's AbortSignal
 * reaches every provider call and the wait loop), and a timeout is a tool error that says what arrived.
 */
import { z } from 'zod';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { extractCode } from '../../agent/extract-code.js';
import { extractLink } from '../../agent/extract-link.js';
import type { Extractor } from '../../agent/find-message.js';
import type { LeaseView } from '../lease.js';
import { startProgress, type ToolExtra } from '../progress.js';
import { describeTimeout, waitForValue, type WaitRequest, type WaitState } from '../wait-for.js';
import { compileMatch, errorResult, jsonResult } from './result.js';

const MAX_TIMEOUT_SECONDS = 3600;

const inputSchema = {
  timeout_seconds: z.number().int().min(0).max(MAX_TIMEOUT_SECONDS).default(120).describe('How long to wait; 0 looks once. Default 120.'),
  since: z.enum(['call', 'lease']).default('call').describe('"call" (default): only messages that arrive during this call (and the few seconds before it). "lease": any message since this worktree\'s lease began.'),
  channel: z.enum(['email', 'sms', 'any']).default('any').describe('Which inbox to watch. Default any.'),
};

export function registerWaitTools(server: McpServer, lease: LeaseView): void {
  server.registerTool(
    'wait_for_code',
    {
      title: 'Wait for a verification code',
      description: 'Waits for a verification code (OTP) sent to this worktree\'s email or phone and returns it with the message id. Use it right after submitting a sign-up or log-in form with the email or phone from whoami.',
      inputSchema: { ...inputSchema, match: z.string().optional().describe('Regular expression (case-insensitive): only messages whose sender, subject or text match, e.g. "acme".') },
      outputSchema: { code: z.string(), ...foundShape },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (args, extra) => {
      const match = compileMatch(args.match);
      return runWait(lease, { what: 'code', extract: extractCode, messageMatch: match, args, signal: extra.signal }, extra);
    },
  );
  server.registerTool(
    'wait_for_link',
    {
      title: 'Wait for a verification link',
      description: 'Waits for a verification, confirmation or magic sign-in link sent to this worktree\'s email or phone and returns it with the message id (tracking redirects unwrapped).',
      inputSchema: { ...inputSchema, match: z.string().optional().describe('Regular expression (case-insensitive) the link\'s URL must match, e.g. "/verify".') },
      outputSchema: { link: z.string(), ...foundShape },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (args, extra) => {
      const match = compileMatch(args.match);
      const extract: Extractor = (text) => extractLink(text, match === null ? {} : { match });
      return runWait(lease, { what: 'link', extract, messageMatch: null, args, signal: extra.signal }, extra);
    },
  );
}

const foundShape = {
  message_id: z.string(),
  channel: z.enum(['email', 'sms']),
  from: z.string(),
  subject: z.string(),
  received_at: z.string(),
};

interface WaitCall {
  readonly what: 'code' | 'link';
  readonly extract: Extractor;
  readonly messageMatch: RegExp | null;
  readonly args: { timeout_seconds: number; since: 'call' | 'lease'; channel: 'email' | 'sms' | 'any' };
  readonly signal: AbortSignal;
}

async function runWait(lease: LeaseView, call: WaitCall, extra: ToolExtra): Promise<CallToolResult> {
  const { args } = call;
  let latest: WaitState | null = null;
  const progress = startProgress(extra, args.timeout_seconds, () => progressText(call, latest));
  try {
    const request: WaitRequest = {
      what: call.what, extract: call.extract, timeoutMs: args.timeout_seconds * 1000, since: args.since, channel: args.channel,
      messageMatch: call.messageMatch, signal: call.signal, onLook: (state) => (latest = state),
    };
    const { found, state } = await waitForValue(lease, request);
    if (found === null) return errorResult(describeTimeout(request, state, args.timeout_seconds));
    return jsonResult({
      [call.what]: found.value, message_id: found.messageId, channel: found.kind, from: found.from, subject: found.subject, received_at: found.receivedAt,
    });
  } finally {
    progress.stop();
  }
}

function progressText(call: WaitCall, state: WaitState | null): string {
  if (state === null) return `Waiting for a verification ${call.what}`;
  const seen = state.seen.length === 0 ? 'no message yet' : `${state.seen.length} message(s), none with a ${call.what} yet`;
  return `Waiting for a verification ${call.what} for ${state.identity.email ?? state.identity.name}: ${seen}`;
}
