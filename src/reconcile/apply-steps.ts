/**
 * One function per action type: the only place reconcile changes identities, leases and worktree files.
 * Every lease transition is one write-ahead ledger step, checked against the ledger right before it is
 * made (compare-and-swap, STYLE.md 11): a lease is only taken from an idle identity, only ended by its
 * holder, and only an idle identity the ledger owns is ever deleted.
 */
import type { Action } from './actions.js';
import type { ApplyContext, StepOutcome, WorktreeLookup } from './apply.js';
import type { Lease, LedgerIdentity } from '../files/ledger.js';
import type { Identity } from '../providers/types.js';
import { ProviderError } from '../util/errors.js';
import { writeEnvStep } from './apply-env.js';
import { writeScopedKeyStep } from './apply-scoped-key.js';
import { releasePortsStep, updatePortsStep } from './apply-ports.js';
import { forgetHanded } from '../agent/handed-messages.js';

type StepOf<T extends Action['type']> = Extract<Action, { type: T }>;

export async function runStep(action: Action, context: ApplyContext, lookup: ReadonlyMap<string, WorktreeLookup>): Promise<StepOutcome> {
  const now = () => new Date((context.now ?? Date.now)()).toISOString();
  switch (action.type) {
    case 'create-identity':
      return createIdentity(action, context);
    case 'lease-identity':
      // Recorded by the write-ahead with the pass's other leases; nothing else to do.
      return context.logger.info({ identity: action.name, worktree: action.worktreePath }, 'identity leased');
    case 'adopt-identity':
      return change(context, action.name, (i) => ({ ...i, state: 'ready', uuid: action.identity.uuid, email: action.identity.email, phone: action.identity.phone }));
    case 'release-lease':
      return releaseLease(action, context, now());
    case 'update-lease':
      return changeLease(context, action.name, action.key, (i, lease) => ({
        ...i,
        email: action.email,
        phone: action.phone,
        lease: { ...lease, worktreePath: action.worktreePath ?? lease.worktreePath, branch: action.branch },
      }));
    case 'mark-orphan':
      return changeLease(context, action.name, action.key, (i, lease) => ({ ...i, lease: { ...lease, orphanedSince: action.since } }));
    case 'clear-orphan':
      return changeLease(context, action.name, action.key, (i, lease) => ({ ...i, lease: { ...lease, orphanedSince: null } }));
    case 'forget-identity':
      return forgetIdentity(action, context);
    case 'revive-worktree':
      context.ledger.reviveWorktree(action.key);
      return context.ledger.flush();
    case 'forget-worktree':
      context.ledger.reviveWorktree(action.key); // the same operation: the worktree's record goes
      return context.ledger.flush();
    case 'write-scoped-key':
      return writeScopedKeyStep(action, context, lookup);
    case 'write-env':
      return writeEnvStep(action, context, lookup);
    case 'delete-identity':
      return deleteIdentity(action, context, now());
    case 'assign-ports':
      return; // recorded by the write-ahead (apply-write-ahead.ts)
    case 'release-ports':
      return releasePortsStep(action, context);
    case 'update-ports':
      return updatePortsStep(action, context);
    case 'ensure-excluded':
    case 'claim-repo':
      return; // handled before the per-worktree tasks
  }
}

/** The intent is on disk (apply-write-ahead.ts); the provider is asked; the result needs no fsync of its own. */
async function createIdentity(action: StepOf<'create-identity'>, context: ApplyContext): Promise<void> {
  const intent = context.ledger.identity(action.name);
  if (intent?.state !== 'creating' || intent.lease?.worktreeKey !== action.key) throw new Error(`no recorded intent to create ${action.name}`);
  const provisionPhone = context.config.provider.kind === 'ravi' ? context.config.provider.provisionPhone : true;
  const identity = await context.provider.createIdentity({ name: action.name, provisionPhone }, { signal: context.signal, worktree: action.worktreePath });
  context.logger.info({ identity: identity.name, worktree: action.worktreePath }, 'identity created');
  if (identity.scopedKey !== undefined && identity.scopedKey.identityUuid === identity.uuid) context.issuedKeys?.set(identity.uuid, identity.scopedKey);
  // Written with the next append (at the latest when apply ends). Lost in a crash, the intent is adopted by name.
  context.ledger.put(readyFrom(intent, identity));
}

/** The lease ends and the identity rests in the pool; what its agent was handed is forgotten with it. */
async function releaseLease(action: StepOf<'release-lease'>, context: ApplyContext, now: string): Promise<void> {
  const identity = context.ledger.identity(action.name);
  if (identity?.lease?.worktreeKey !== action.key) throw new Error(`cannot end the lease of ${action.name}: the worktree no longer holds it`);
  context.ledger.put(endLease(identity, now));
  await context.ledger.flush();
  await forgetHanded(context.config.stateDir, identity.lease.id);
  context.logger.info({ identity: action.name, reason: action.reason }, 'lease ended');
}

/** The record of `identity` once its lease ended at `now`. Also what a teardown's release does. */
export function endLease(identity: LedgerIdentity, now: string): LedgerIdentity {
  const lease = identity.lease;
  return {
    ...identity,
    lease: null,
    idleSince: now,
    lastHolder: lease === null ? identity.lastHolder : { worktreeKey: lease.worktreeKey, worktreePath: lease.worktreePath },
  };
}

async function forgetIdentity(action: StepOf<'forget-identity'>, context: ApplyContext): Promise<void> {
  const identity = context.ledger.identity(action.name);
  context.ledger.remove(action.name);
  await context.ledger.flush();
  if (identity?.lease) await forgetHanded(context.config.stateDir, identity.lease.id);
}

/**
 * Deletes an idle identity the ledger owns. A refusal (405, 404, 403: Ravi's identities are permanent)
 * is remembered, so no later pass asks again, and the identity simply stays in the pool.
 */
async function deleteIdentity(action: StepOf<'delete-identity'>, context: ApplyContext, now: string): Promise<StepOutcome> {
  const identity = context.ledger.identity(action.name);
  if (identity === undefined || identity.state !== 'ready' || identity.uuid !== action.uuid || identity.lease !== null) {
    throw new Error(`refusing to delete ${action.name}: the ledger does not hold identity ${action.uuid} idle`);
  }
  const refused = context.ledger.provider.deleteRefused;
  if (refused !== null) return { note: `kept: the provider refused to delete an identity on ${refused.at}` };
  try {
    await context.provider.deleteIdentity(action.uuid, { signal: context.signal });
  } catch (error) {
    if (!(error instanceof ProviderError) || ![403, 404, 405].includes(error.status ?? 0)) throw error;
    context.ledger.setProvider({ ...context.ledger.provider, deleteRefused: { at: now, status: error.status, message: error.message } });
    await context.ledger.flush();
    context.logger.info({ identity: action.name, status: error.status }, 'the provider cannot delete identities; idle ones stay in the pool');
    return { note: `kept in the pool: the provider refuses to delete identities (HTTP ${error.status}); it is not asked again` };
  }
  context.ledger.remove(action.name);
  await context.ledger.flush();
  context.logger.info({ identity: action.name, reason: action.reason }, 'identity deleted');
}

/** Changes a leased record, only while `worktreeKey` still holds it. */
async function changeLease(context: ApplyContext, name: string, worktreeKey: string, next: (identity: LedgerIdentity, lease: Lease) => LedgerIdentity): Promise<void> {
  const identity = context.ledger.identity(name);
  if (identity?.lease?.worktreeKey !== worktreeKey) return;
  context.ledger.put(next(identity, identity.lease));
  await context.ledger.flush();
}

async function change(context: ApplyContext, name: string, next: (identity: LedgerIdentity) => LedgerIdentity): Promise<void> {
  const identity = context.ledger.identity(name);
  if (identity === undefined) throw new Error(`the ledger record ${name} vanished before the step`);
  context.ledger.put(next(identity));
  await context.ledger.flush();
}

function readyFrom(intent: LedgerIdentity, identity: Identity): LedgerIdentity {
  return { ...intent, state: 'ready', uuid: identity.uuid, email: identity.email, phone: identity.phone };
}
