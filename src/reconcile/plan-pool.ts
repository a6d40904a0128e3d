/**
 * The pool's own upkeep: idle records whose create was interrupted are adopted (or forgotten when it
 * never happened), records of identities that no longer exist are forgotten, and idle identities
 * beyond `pool.keepIdle` are deleted where the provider can. Never on doubt, never an identity the
 * ledger does not own, never one the provider refused to delete before. Pure.
 */
import type { LedgerIdentity } from '../files/ledger.js';
import { oldestNamed, type PlanContext } from './plan.js';
import { compareText } from '../util/compare-text.js';

export function planPoolUpkeep(context: PlanContext): void {
  if (context.identities === null) return;
  const idle: { identity: LedgerIdentity; since: number }[] = [];
  for (const identity of context.ledger.identities.values()) {
    const releasedNow = context.releasedNow.has(identity.name);
    if ((identity.lease !== null && !releasedNow) || context.leasedNow.has(identity.name)) continue;
    if (identity.state === 'creating') {
      if (releasedNow) continue; // plan-leftovers adopted or forgot it already
      const made = oldestNamed(context.identities, identity.name);
      if (made === null) context.actions.push({ type: 'forget-identity', name: identity.name, reason: 'its create never reached the provider', target: null });
      else context.actions.push({ type: 'adopt-identity', name: identity.name, identity: made, target: null });
      continue;
    }
    if (!context.identityByUuid.has(identity.uuid as string)) {
      if (context.listingDoubt === null && !releasedNow) {
        context.actions.push({ type: 'forget-identity', name: identity.name, reason: 'it no longer exists at the provider', target: null });
      }
      continue;
    }
    idle.push({ identity, since: releasedNow ? context.now : Date.parse(identity.idleSince ?? identity.createdAt) });
  }
  planDeletions(idle, context);
}

/** Beyond `keepIdle`, the identities that went idle last go first: the ones kept are the soonest leasable. */
function planDeletions(idle: { identity: LedgerIdentity; since: number }[], context: PlanContext): void {
  const excess = idle.length - context.config.pool.keepIdle;
  if (excess <= 0) return;
  const refused = context.ledger.provider.deleteRefused;
  if (refused !== null) {
    context.notes.push({ commonDir: null, message: `${idle.length} idle identities are kept (pool.keepIdle is ${context.config.pool.keepIdle}): the provider refused to delete one${refused.status === null ? '' : ` (HTTP ${refused.status})`} on ${refused.at}` });
    return;
  }
  if (context.listingDoubt !== null) {
    context.notes.push({ commonDir: null, message: `no idle identity is deleted: ${context.listingDoubt}` });
    return;
  }
  const newestFirst = [...idle].sort((a, b) => b.since - a.since || compareText(a.identity.name, b.identity.name));
  for (const { identity } of newestFirst.slice(0, excess)) {
    context.actions.push({
      type: 'delete-identity',
      name: identity.name,
      uuid: identity.uuid as string,
      reason: `${idle.length} idle identities, pool.keepIdle is ${context.config.pool.keepIdle}`,
    });
  }
}
