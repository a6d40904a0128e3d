/**
 * `wait_for_code` / `wait_for_link`: the newest code (or link) among this lease's messages in the
 * window (since the call, or since the lease began), waiting up to a timeout. The same extraction and
 * the same wait loop as `otp --wait`; what this adds is a record of what was seen, for progress and
 * for a timeout that says what arrived and what to try.
 */
import { CLOCK_SKEW_MS, pickNewest, waitForMessage, type Extractor, type FoundMessage, type InboxMessage } from '../agent/find-message.js';
import type { LeaseIdentity, LeaseView } from './lease.js';

export type Channel = 'email' | 'sms' | 'any';

export interface WaitRequest {
  readonly what: 'code' | 'link';
  readonly extract: Extractor;
  readonly timeoutMs: number;
  readonly since: 'call' | 'lease';
  readonly channel: Channel;
  /** For codes: only messages whose sender, subject or text match. (Links take their match in `extract`.) */
  readonly messageMatch: RegExp | null;
  readonly signal: AbortSignal;
  /** Called after every look (progress reports read it). */
  readonly onLook?: (state: WaitState) => void;
}

export interface WaitState {
  readonly identity: LeaseIdentity;
  /** Messages in the window and channel at the last look, newest first. */
  seen: readonly InboxMessage[];
  /** Start of the window (ms since epoch). */
  readonly windowStart: number;
}

export interface WaitOutcome {
  /** Null when the timeout passed first. */
  readonly found: FoundMessage | null;
  readonly state: WaitState;
}

/** Waits for the value; records which message was handed out. */
export async function waitForValue(lease: LeaseView, request: WaitRequest): Promise<WaitOutcome> {
  const started = Date.now();
  const identity = await lease.identity();
  const windowStart = request.since === 'lease' ? Date.parse(identity.leaseStart) : started - CLOCK_SKEW_MS;
  const state: WaitState = { identity, seen: [], windowStart };
  const look = async (): Promise<FoundMessage | null> => {
    const messages = await lease.messages(identity, { signal: request.signal });
    state.seen = messages.filter((m) => Date.parse(m.receivedAt) >= windowStart && (request.channel === 'any' || m.kind === request.channel));
    const candidates = request.messageMatch === null ? state.seen : state.seen.filter((m) => matches(request.messageMatch as RegExp, m));
    const found = pickNewest(candidates, request.extract);
    request.onLook?.(state);
    return found;
  };
  const found =
    request.timeoutMs === 0
      ? await look()
      : await waitForMessage(look, { timeoutMs: request.timeoutMs, signal: request.signal, wakeup: lease.wakeup(identity) });
  if (found !== null) await lease.recordHandedOut(identity, request.what, found);
  return { found, state };
}

/** What a timeout says: the window, what arrived in it, and the next thing to try. */
export function describeTimeout(request: WaitRequest, state: WaitState, timeoutSeconds: number): string {
  const who = state.identity.email ?? state.identity.name;
  const window = request.since === 'lease' ? `since the lease began (${state.identity.leaseStart})` : `since ${new Date(state.windowStart).toISOString()}`;
  const lines = [`No verification ${request.what} arrived for ${who} ${window} within ${timeoutSeconds}s${request.channel === 'any' ? '' : ` (${request.channel} only)`}.`];
  if (state.seen.length === 0) lines.push('No message arrived in that window.');
  else {
    const filter = request.messageMatch === null ? '' : ` (match ${String(request.messageMatch)})`;
    lines.push(`${state.seen.length} message(s) arrived, none with a ${request.what}${filter}:`);
    for (const m of state.seen.slice(0, 5)) lines.push(`- ${m.kind} ${m.id} from ${m.from} at ${m.receivedAt}${m.subject ? `: "${oneLine(m.subject)}"` : ''}`);
  }
  const other = request.what === 'code' ? 'wait_for_link' : 'wait_for_code';
  const tries = [request.since === 'call' ? 'since: "lease" for one that arrived before this call' : null, `${other} if the message holds a ${request.what === 'code' ? 'link' : 'code'}`, 'list_messages to read them'];
  lines.push(`Try ${tries.filter((t) => t !== null).join(', or ')}.`);
  return lines.join('\n');
}

function matches(pattern: RegExp, message: InboxMessage): boolean {
  const fields = [message.from, message.subject, message.text.text ?? '', message.text.html ?? ''];
  return fields.some((field) => pattern.test(field));
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 80 ? `${flat.slice(0, 77)}...` : flat;
}
