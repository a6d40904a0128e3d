/** Turns each applied action into an audit record (names and keys only, never values). */
import type { Action } from './actions.js';
import type { ApplyContext, WorktreeLookup } from './apply.js';
import { appendAudit, type AuditEvent } from '../audit/audit-log.js';
import type { LedgerEntry } from '../files/ledger.js';

/** Records what an action did (or why it failed); an audit write failure is logged, never fatal. */
export async function auditAction(
  action: Action,
  error: Error | null,
  context: ApplyContext,
  lookup: ReadonlyMap<string, WorktreeLookup>,
  before: LedgerEntry | undefined,
): Promise<void> {
  const event = error === null ? eventFor(action, context, lookup, before) : errorEvent(action, error, context, before);
  if (event === null) return;
  await appendAudit(context.config.stateDir, event).catch((failure: unknown) => context.logger.warn({ err: failure }, 'could not write the audit log'));
}

function eventFor(action: Action, context: ApplyContext, lookup: ReadonlyMap<string, WorktreeLookup>, before: LedgerEntry | undefined): AuditEvent | null {
  if (action.type === 'ensure-excluded') return null;
  const entry = context.ledger.get(action.key) ?? before;
  const base = {
    repo: repoOf(action.commonDir),
    worktree: action.worktreePath ?? entry?.worktreePath ?? null,
    branch: lookup.get(action.key)?.observed.worktree.branch ?? entry?.branch ?? null,
    identity: entry?.name ?? ('name' in action ? action.name : null),
  };
  switch (action.type) {
    case 'create-identity':
      return { ...base, identity: action.name, type: 'identity.created', detail: { reason: action.recreate ? 'it vanished from the provider' : 'new worktree', uuid: entry?.uuid ?? null } };
    case 'adopt-identity':
      return { ...base, identity: action.identity.name, type: 'identity.adopted', detail: { reason: 'created before an interrupted run', uuid: action.identity.uuid } };
    case 'delete-identity':
      return { ...base, identity: action.name, type: 'identity.deleted', detail: { reason: `orphan sweep: ${action.reason}`, uuid: action.uuid } };
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

function errorEvent(action: Action, error: Error, context: ApplyContext, before: LedgerEntry | undefined): AuditEvent {
  const key = action.type === 'ensure-excluded' ? null : action.key;
  const entry = (key === null ? undefined : context.ledger.get(key)) ?? before;
  return {
    type: 'error',
    repo: repoOf(action.commonDir),
    worktree: action.type === 'ensure-excluded' ? null : (action.worktreePath ?? entry?.worktreePath ?? null),
    branch: entry?.branch ?? null,
    identity: entry?.name ?? null,
    detail: { action: action.type, message: error.message },
  };
}

/** `/code/app/.git` -> `/code/app`: the repo as people name it. */
export function repoOf(commonDir: string): string {
  return commonDir.replace(/\/\.git$/, '');
}
