/** Turns each applied action into an audit record (names and keys only, never values). */
import { actionTarget, type Action } from './actions.js';
import type { ApplyContext, WorktreeLookup } from './apply.js';
import { appendAudit, type AuditEvent } from '../audit/audit-log.js';
import type { LedgerIdentity } from '../files/ledger.js';

/** Records what an action did (or why it failed); an audit write failure is logged, never fatal. */
export async function auditAction(
  action: Action,
  error: Error | null,
  context: ApplyContext,
  lookup: ReadonlyMap<string, WorktreeLookup>,
  before: LedgerIdentity | undefined,
  note: string | null,
): Promise<void> {
  const event = error === null ? eventFor(action, context, lookup, before, note) : errorEvent(action, error, context, before);
  if (event === null) return;
  await appendAudit(context.config.stateDir, event).catch((failure: unknown) => context.logger.warn({ err: failure }, 'could not write the audit log'));
}

function eventFor(action: Action, context: ApplyContext, lookup: ReadonlyMap<string, WorktreeLookup>, before: LedgerIdentity | undefined, note: string | null): AuditEvent | null {
  if (action.type === 'ensure-excluded') return null;
  const target = actionTarget(action);
  const name = 'name' in action ? action.name : (target === null ? null : (context.ledger.leaseOf(target.key)?.name ?? null));
  const record = (name === null ? undefined : context.ledger.identity(name)) ?? before;
  const lease = record?.lease ?? before?.lease ?? null;
  const base = {
    repo: target === null ? (lease === null ? null : repoOf(lease.commonDir)) : repoOf(target.commonDir),
    worktree: target?.worktreePath ?? lease?.worktreePath ?? null,
    branch: (target === null ? undefined : lookup.get(target.key)?.observed.worktree.branch) ?? lease?.branch ?? null,
    identity: name,
  };
  switch (action.type) {
    case 'create-identity':
      return { ...base, type: 'identity.created', detail: { reason: action.recreate ? 'the identity it held vanished from the provider' : 'new worktree, no idle identity', uuid: record?.uuid ?? null } };
    case 'lease-identity':
      return { ...base, type: 'lease.started', detail: { reason: 'an idle identity from the pool', uuid: action.uuid, idleMs: action.idleMs } };
    case 'adopt-identity':
      return { ...base, type: 'identity.adopted', detail: { reason: 'created before an interrupted run', uuid: action.identity.uuid } };
    case 'release-lease':
      return { ...base, worktree: before?.lease?.worktreePath ?? base.worktree, type: 'lease.ended', detail: { reason: `orphan sweep: ${action.reason}`, uuid: record?.uuid ?? null } };
    case 'forget-identity':
      return { ...base, type: 'identity.forgotten', detail: { reason: action.reason, uuid: before?.uuid ?? null } };
    case 'delete-identity':
      return note === null
        ? { ...base, type: 'identity.deleted', detail: { reason: `pool upkeep: ${action.reason}`, uuid: action.uuid } }
        : { ...base, type: 'identity.kept', detail: { reason: note, uuid: action.uuid } };
    case 'write-scoped-key':
      return { ...base, type: 'key.minted', detail: { file: action.file, reason: action.reason } };
    case 'write-env': {
      const secrets = context.config.env.writeSecrets ? context.config.env.secrets.filter((key) => action.changedKeys.includes(key)) : [];
      return { ...base, type: 'env.written', detail: { file: action.file, changedKeys: action.changedKeys, secretsInjected: secrets, removedLegacyLines: action.removedLegacyLines } };
    }
    default:
      return null; // ledger bookkeeping is not a lifecycle event
  }
}

function errorEvent(action: Action, error: Error, context: ApplyContext, before: LedgerIdentity | undefined): AuditEvent {
  const target = actionTarget(action);
  const name = 'name' in action ? action.name : null;
  const lease = before?.lease ?? null;
  return {
    type: 'error',
    repo: target === null ? null : repoOf(target.commonDir),
    worktree: target?.worktreePath ?? lease?.worktreePath ?? null,
    branch: lease?.branch ?? null,
    identity: name ?? (target === null ? null : (context.ledger.leaseOf(target.key)?.name ?? null)),
    detail: { action: action.type, message: error.message },
  };
}

/** `/code/app/.git` -> `/code/app`: the repo as people name it. */
export function repoOf(commonDir: string): string {
  return commonDir.replace(/\/\.git$/, '');
}
