/**
 * Leases whose worktree is no longer managed (gone, prunable, excluded, its folder missing) end after
 * the grace period, never for a locked worktree; the identity goes back to the pool, nothing is deleted.
 * Worktrees a teardown released are forgotten once they are gone. Pure.
 */
import type { LedgerIdentity } from '../files/ledger.js';
import type { RepoInventory } from '../git/types.js';
import type { ObservedRepo, ObservedWorktree } from './observed.js';
import { oldestNamed, type PlanContext } from './plan.js';

export function planLeftovers(repo: ObservedRepo, inventory: RepoInventory, managedKeys: ReadonlySet<string>, context: PlanContext): void {
  const byAdminId = new Map(repo.worktrees.map((w) => [w.worktree.adminId, w]));
  for (const identity of context.ledger.identities.values()) {
    const lease = identity.lease;
    if (lease === null || lease.commonDir !== inventory.commonDir || managedKeys.has(lease.worktreeKey)) continue;
    planLeaseOfUnmanaged(identity, byAdminId.get(lease.adminId) ?? null, context);
  }
  for (const released of context.ledger.released.values()) {
    if (released.commonDir !== inventory.commonDir) continue;
    const observed = byAdminId.get(released.adminId);
    if (observed === undefined || observed.worktree.prunable) {
      context.actions.push({ type: 'forget-worktree', key: released.worktreeKey, commonDir: released.commonDir, worktreePath: null });
    }
  }
}

function planLeaseOfUnmanaged(identity: LedgerIdentity, observed: ObservedWorktree | null, context: PlanContext): void {
  const lease = identity.lease!;
  const target = { key: lease.worktreeKey, commonDir: lease.commonDir, worktreePath: null };
  const note = (message: string): void => void context.notes.push({ commonDir: lease.commonDir, message: `${identity.name}: ${message}` });
  const release = (reason: string): void => {
    context.releasedNow.add(identity.name);
    context.actions.push({ ...target, type: 'release-lease', name: identity.name, reason });
  };

  if (observed?.worktree.locked) {
    // A locked worktree (say, on an unmounted disk) is never an orphan.
    if (lease.orphanedSince !== null) context.actions.push({ ...target, type: 'clear-orphan', name: identity.name });
    return;
  }
  if (identity.state === 'creating') {
    // The worktree left before the create was confirmed: keep what was made, in the pool.
    if (context.identities === null) return note('kept: identities could not be listed');
    const made = oldestNamed(context.identities, identity.name);
    if (made === null) {
      context.actions.push({ type: 'forget-identity', name: identity.name, reason: 'its worktree is gone and the identity was never created', target });
      return;
    }
    context.actions.push({ type: 'adopt-identity', name: identity.name, identity: made, target });
    return release('its worktree left before the create was confirmed');
  }
  const listed = context.identities !== null && context.identityByUuid.has(identity.uuid as string);
  if (context.identities !== null && !listed && context.listingDoubt === null) {
    context.actions.push({ type: 'forget-identity', name: identity.name, reason: 'it no longer exists at the provider', target });
    return;
  }
  const why = observed === null ? 'its worktree is gone' : (observed.unmanagedReason ?? 'its worktree is no longer managed');
  const since = lease.orphanedSince === null ? context.now : Date.parse(lease.orphanedSince);
  if (lease.orphanedSince === null) context.actions.push({ ...target, type: 'mark-orphan', name: identity.name, since: new Date(context.now).toISOString() });
  const remainingMs = since + context.config.orphans.graceMs - context.now;
  if (remainingMs > 0) return note(`${why}; its lease ends after the grace period, in ${formatDuration(remainingMs)}`);
  release(why);
}

export function formatDuration(ms: number): string {
  const seconds = Math.ceil(ms / 1000);
  if (seconds < 90) return `${seconds}s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `${minutes}m`;
  return `${Math.round(minutes / 60)}h`;
}
