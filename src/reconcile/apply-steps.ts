/** One function per action type: the only place reconcile mutates identities, the ledger and worktree files. */
import type { Action } from './actions.js';
import type { ApplyContext, WorktreeLookup } from './apply.js';
import type { LedgerEntry } from '../files/ledger.js';
import type { Identity } from '../providers/types.js';
import { writeEnvStep } from './apply-env.js';
import { writeScopedKeyStep } from './apply-scoped-key.js';

type StepOf<T extends Action['type']> = Extract<Action, { type: T }>;

export async function runStep(action: Action, context: ApplyContext, lookup: ReadonlyMap<string, WorktreeLookup>): Promise<void> {
  switch (action.type) {
    case 'create-identity':
      return createIdentity(action, context);
    case 'adopt-identity':
      return adoptIdentity(action, context);
    case 'update-entry':
      return updateEntry(context, action.key, (e) => ({ ...e, worktreePath: action.worktreePath ?? e.worktreePath, branch: action.branch, email: action.email, phone: action.phone }));
    case 'clear-orphan':
      return updateEntry(context, action.key, (e) => ({ ...e, orphanedSince: null }));
    case 'mark-orphan':
      return updateEntry(context, action.key, (e) => ({ ...e, orphanedSince: action.since }));
    case 'write-scoped-key':
      return writeScopedKeyStep(action, context, lookup);
    case 'write-env':
      return writeEnvStep(action, context, lookup);
    case 'delete-identity':
      return deleteIdentity(action, context);
    case 'forget-entry':
      context.ledger.delete(action.key);
      return context.ledger.flush();
    case 'ensure-excluded':
      return; // handled before the per-worktree tasks
  }
}

/** Write-ahead: the intent is on disk before the provider is asked, so a crash is healed by adoption. */
async function createIdentity(action: StepOf<'create-identity'>, context: ApplyContext): Promise<void> {
  const intent: LedgerEntry = {
    key: action.key,
    commonDir: action.commonDir,
    adminId: action.adminId,
    name: action.name,
    state: 'pending',
    uuid: null,
    email: null,
    phone: null,
    worktreePath: action.worktreePath ?? '',
    branch: action.branch,
    createdAt: new Date().toISOString(),
    orphanedSince: null,
  };
  context.ledger.set(intent);
  await context.ledger.flush();
  const provisionPhone = context.config.provider.kind === 'ravi' ? context.config.provider.provisionPhone : true;
  const identity = await context.provider.createIdentity(
    { name: action.name, provisionPhone },
    { signal: context.signal, worktree: action.worktreePath ?? undefined },
  );
  context.logger.info({ identity: identity.name, worktree: action.worktreePath }, 'identity created');
  context.ledger.set(activeEntry(intent, identity));
  await context.ledger.flush();
}

async function adoptIdentity(action: StepOf<'adopt-identity'>, context: ApplyContext): Promise<void> {
  const entry = context.ledger.get(action.key);
  if (entry === undefined) throw new Error(`ledger entry ${action.key} vanished before adoption`);
  context.logger.info({ identity: action.identity.name, worktree: action.worktreePath }, 'identity adopted after an interrupted create');
  context.ledger.set(activeEntry(entry, action.identity));
  await context.ledger.flush();
}

/** Deletes only what the ledger owns, and re-checks that right before the call. */
async function deleteIdentity(action: StepOf<'delete-identity'>, context: ApplyContext): Promise<void> {
  const entry = context.ledger.get(action.key);
  if (entry === undefined || entry.state !== 'active' || entry.uuid !== action.uuid) {
    throw new Error(`refusing to delete ${action.name}: the ledger does not own identity ${action.uuid}`);
  }
  await context.provider.deleteIdentity(action.uuid, { signal: context.signal });
  context.logger.info({ identity: action.name, reason: action.reason }, 'identity deleted');
  context.ledger.delete(action.key);
  await context.ledger.flush();
}

async function updateEntry(context: ApplyContext, key: string, change: (entry: LedgerEntry) => LedgerEntry): Promise<void> {
  const entry = context.ledger.get(key);
  if (entry === undefined) return;
  context.ledger.set(change(entry));
  await context.ledger.flush();
}

function activeEntry(entry: LedgerEntry, identity: Identity): LedgerEntry {
  return { ...entry, state: 'active', uuid: identity.uuid, email: identity.email, phone: identity.phone };
}
