/**
 * The write-ahead records of the worktree phase, made together before any is acted on: every create intent
 * and every lease in one ledger append (one fsync for the whole pass, not one per worktree), every port block
 * in one port-ledger append. Each is checked against the ledger as it is then (compare-and-swap, STYLE.md 11);
 * a refused one fails only its worktree. The steps then act on what was recorded (apply-steps.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Action } from './actions.js';
import type { ApplyContext } from './apply.js';
import type { Lease, LedgerIdentity } from '../files/ledger.js';
import { assignBlock } from './apply-ports.js';

type StepOf<T extends Action['type']> = Extract<Action, { type: T }>;

/** What the write-ahead made of an action: recorded (with a note for people), or refused. */
export type Prepared = { readonly ok: true; readonly note?: string } | { readonly ok: false; readonly error: Error };

/** `onRecorded`: called with the creates and leases put in the ledger, before their append is waited for. */
export async function writeAhead(actions: readonly Action[], context: ApplyContext, now: string, onRecorded?: (recorded: ReadonlySet<Action>) => void): Promise<Map<Action, Prepared>> {
  const prepared = new Map<Action, Prepared>();
  const attempt = (action: Action, record: () => void) => {
    try {
      record();
      prepared.set(action, { ok: true });
    } catch (error) {
      prepared.set(action, { ok: false, error: error as Error });
    }
  };
  for (const action of actions) {
    if (action.type === 'create-identity') attempt(action, () => recordCreateIntent(action, context, now));
    if (action.type === 'lease-identity') attempt(action, () => recordLease(action, context, now));
  }
  const flushed = context.ledger.flush();
  onRecorded?.(new Set([...prepared].filter(([, p]) => p.ok).map(([action]) => action)));
  await durable(flushed, [...prepared.keys()], prepared);

  const assigned: Action[] = [];
  for (const action of actions) {
    if (action.type !== 'assign-ports') continue;
    try {
      const note = await assignBlock(action, context, now);
      prepared.set(action, note === null ? { ok: true } : { ok: true, note });
      assigned.push(action);
    } catch (error) {
      prepared.set(action, { ok: false, error: error as Error });
    }
  }
  await durable(context.ports.flush(), assigned, prepared);
  return prepared;
}

/** A failed append fails every action whose record it held (the record is not on disk: do not act on it). */
async function durable(flush: Promise<void>, actions: readonly Action[], prepared: Map<Action, Prepared>): Promise<void> {
  try {
    await flush;
  } catch (error) {
    for (const action of actions) if (prepared.get(action)?.ok === true) prepared.set(action, { ok: false, error: error as Error });
  }
}

function newLease(action: StepOf<'create-identity'> | StepOf<'lease-identity'>, since: string): Lease {
  return {
    id: randomUUID(), worktreeKey: action.key, commonDir: action.commonDir, adminId: action.adminId,
    worktreePath: action.worktreePath, branch: action.branch, since, orphanedSince: null,
  };
}

/** The intent, with its lease, before the provider is asked: a crash is then healed by adoption, never a duplicate. */
function recordCreateIntent(action: StepOf<'create-identity'>, context: ApplyContext, now: string): void {
  assertNoOtherLease(context, action.key, action.name);
  const previous = context.ledger.identity(action.name);
  if (previous !== undefined && previous.state !== 'creating') throw new Error(`refusing to create ${action.name}: the ledger already owns an identity of that name`);
  if (previous !== undefined) return; // an earlier, interrupted intent for this worktree: create under it again
  const intent: LedgerIdentity = {
    name: action.name, state: 'creating', uuid: null, email: null, phone: null, createdAt: now,
    lease: newLease(action, now), idleSince: null, lastHolder: null, leases: 1,
  };
  context.ledger.put(intent);
}

/** An idle identity goes to a worktree: only if it is still idle and still the one the plan saw. */
function recordLease(action: StepOf<'lease-identity'>, context: ApplyContext, now: string): void {
  assertNoOtherLease(context, action.key, action.name);
  const identity = context.ledger.identity(action.name);
  if (identity === undefined || identity.state !== 'ready' || identity.uuid !== action.uuid) throw new Error(`cannot lease ${action.name}: the ledger no longer holds it as planned`);
  if (identity.lease !== null) throw new Error(`cannot lease ${action.name}: ${identity.lease.worktreePath} holds it`);
  context.ledger.put({ ...identity, lease: newLease(action, now), idleSince: null, leases: identity.leases + 1 });
}

/** One worktree, one identity. */
function assertNoOtherLease(context: ApplyContext, worktreeKey: string, name: string): void {
  const held = context.ledger.leaseOf(worktreeKey);
  if (held !== undefined && held.name !== name) throw new Error(`the worktree already holds ${held.name}`);
}
