/**
 * Planning for ledger entries whose worktree is no longer managed: gone, prunable, excluded.
 * Deletes only after the grace period, never for a locked worktree, never while deletion is blocked. Pure.
 */
import type { LedgerEntry } from '../files/ledger.js';
import type { ObservedWorktree } from './observed.js';
import type { PlanContext } from './plan.js';
import { oldestNamed } from './plan-worktree.js';

export function planLeftoverEntry(entry: LedgerEntry, observed: ObservedWorktree | null, context: PlanContext): void {
  const target = { key: entry.key, commonDir: entry.commonDir, worktreePath: null };
  const note = (message: string): void => void context.notes.push({ commonDir: entry.commonDir, message: `${entry.name}: ${message}` });

  if (observed?.worktree.locked) {
    // A locked worktree (say, on an unmounted disk) is never an orphan.
    if (entry.orphanedSince !== null) context.actions.push({ ...target, type: 'clear-orphan' });
    return;
  }
  if (entry.state === 'released') {
    // Nothing exists at the provider any more; only the tombstone is left.
    if (observed === null || observed.worktree.prunable) context.actions.push({ ...target, type: 'forget-entry', name: entry.name, reason: 'released by teardown and its worktree is gone' });
    return;
  }
  if (context.identities === null) return note('kept: identities could not be listed');

  if (entry.state === 'pending') {
    // Intent recorded but the worktree left before the create was confirmed: adopt what was made, so it can be deleted.
    const made = oldestNamed(context.identities, entry.name);
    if (made !== null) context.actions.push({ ...target, type: 'adopt-identity', identity: made });
    else context.actions.push({ ...target, type: 'forget-entry', name: entry.name, reason: 'its worktree is gone and the identity was never created' });
    return;
  }
  if (context.deletionBlocked !== null) return note(`not deleted: ${context.deletionBlocked}`);
  if (!context.identityByUuid.has(entry.uuid as string)) {
    context.actions.push({ ...target, type: 'forget-entry', name: entry.name, reason: 'the identity no longer exists at the provider' });
    return;
  }
  const why = observed === null ? 'its worktree is gone' : (observed.unmanagedReason ?? 'its worktree is no longer managed');
  const since = entry.orphanedSince === null ? context.now : Date.parse(entry.orphanedSince);
  if (entry.orphanedSince === null) context.actions.push({ ...target, type: 'mark-orphan', since: new Date(context.now).toISOString() });
  const remainingMs = since + context.config.orphans.graceMs - context.now;
  if (remainingMs > 0) return note(`${why}; deleted after the grace period, in ${formatDuration(remainingMs)}`);
  context.actions.push({ ...target, type: 'delete-identity', uuid: entry.uuid as string, name: entry.name, reason: why });
}

export function formatDuration(ms: number): string {
  const seconds = Math.ceil(ms / 1000);
  if (seconds < 90) return `${seconds}s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `${minutes}m`;
  return `${Math.round(minutes / 60)}h`;
}
