/**
 * Worktrees without a lease get one: an idle identity from the pool when one may be had, else a new
 * one (the only time we create: Ravi identities are permanent and cost money). Pure.
 *
 * Who gets which idle identity, in this order: a worktree takes back the identity it held last (same
 * worktree and path: no quarantine to wait out); then identities that rested past `pool.quarantine`,
 * last used in the same repo first, longest rested first. The worktree a setup asked for goes first.
 */
import type { Identity } from '../providers/types.js';
import type { LedgerIdentity } from '../files/ledger.js';
import type { PlanContext } from './plan.js';
import { planWorktreeFiles, type Wanting } from './plan-worktree.js';
import { baseIdentityName, uniqueName } from './naming.js';
import { compareText } from '../util/compare-text.js';

interface Candidate {
  readonly identity: LedgerIdentity;
  readonly listed: Identity;
  readonly lastHolder: LedgerIdentity['lastHolder'];
  /** Ms since the epoch when it went idle; null when it never was leased. */
  readonly idleSince: number | null;
}

export function planAcquisitions(wanting: readonly Wanting[], context: PlanContext): void {
  if (wanting.length === 0) return;
  const pool = candidates(context);
  const ordered = [...wanting].sort((a, b) => focusFirst(a, b, context.focusKey) || compareText(a.observed.worktree.path, b.observed.worktree.path));
  const chosen = new Map<Wanting, Candidate>();
  const take = (want: Wanting, candidate: Candidate) => {
    chosen.set(want, candidate);
    pool.splice(pool.indexOf(candidate), 1);
  };
  for (const want of ordered) {
    const own = pool.find((c) => isLastHolder(c, want));
    if (own !== undefined) take(want, own);
  }
  for (const want of ordered) {
    if (chosen.has(want)) continue;
    const rested = pool.filter((c) => c.idleSince === null || c.idleSince + context.config.pool.quarantineMs <= context.now);
    const pick = rested.find((c) => sameRepo(c, want)) ?? rested[0];
    if (pick !== undefined) take(want, pick);
  }
  for (const want of ordered) {
    const candidate = chosen.get(want);
    if (candidate === undefined) planCreate(want, context);
    else planLease(want, candidate, context);
  }
}

function planLease(want: Wanting, candidate: Candidate, context: PlanContext): void {
  const { observed, inventory } = want;
  const { listed } = candidate;
  context.leasedNow.add(candidate.identity.name);
  context.actions.push({
    type: 'lease-identity',
    key: observed.key as string,
    commonDir: inventory.commonDir,
    worktreePath: observed.worktree.path,
    adminId: observed.worktree.adminId as string,
    branch: observed.worktree.branch,
    name: candidate.identity.name,
    uuid: listed.uuid,
    idleMs: candidate.idleSince === null ? null : context.now - candidate.idleSince,
  });
  const facts = { name: candidate.identity.name, email: listed.email, phone: listed.phone, uuid: listed.uuid };
  planWorktreeFiles(observed, inventory, facts, want.ports, true, context, want.excludePatterns);
}

function planCreate(want: Wanting, context: PlanContext): void {
  const { observed, inventory } = want;
  const adminId = observed.worktree.adminId as string;
  const key = observed.key as string;
  const base = baseIdentityName({ template: context.config.identity.name, repoName: inventory.repoName, adminId, branch: observed.worktree.branch });
  const name = freeName(base, key, context.takenNames);
  if (name === undefined) {
    context.problems.push({
      commonDir: inventory.commonDir,
      worktreePath: observed.worktree.path,
      message: 'no free identity name: both the template name and its hashed variant are taken by other identities',
    });
    return;
  }
  context.takenNames.add(name);
  context.actions.push({
    type: 'create-identity',
    key,
    commonDir: inventory.commonDir,
    worktreePath: observed.worktree.path,
    adminId,
    branch: observed.worktree.branch,
    name,
    recreate: want.replacing,
  });
  planWorktreeFiles(observed, inventory, { name, email: null, phone: null, uuid: null }, want.ports, true, context, want.excludePatterns);
}

/**
 * The template name, or its hashed variant when another identity has it; undefined when both are taken. The variant
 * is hashed only when needed: a cold pass names every worktree, and the hash was most of that.
 */
function freeName(base: string, seed: string, taken: ReadonlySet<string>): string | undefined {
  if (!taken.has(base)) return base;
  const hashed = uniqueName(base, seed);
  return taken.has(hashed) ? undefined : hashed;
}

/** Idle identities that exist at the provider, longest rested first. */
function candidates(context: PlanContext): Candidate[] {
  const found: Candidate[] = [];
  for (const identity of context.ledger.identities.values()) {
    if (identity.state !== 'ready' || identity.uuid === null || context.leasedNow.has(identity.name)) continue;
    // One this pass releases is idle from now on; not for `--worktree`, which leaves other leases alone.
    const releasedNow = context.releasedNow.has(identity.name) && context.focusKey === null;
    if (identity.lease !== null && !releasedNow) continue;
    const listed = context.identityByUuid.get(identity.uuid);
    if (listed === undefined) continue;
    const idleSince = releasedNow ? context.now : identity.idleSince === null ? null : Date.parse(identity.idleSince);
    const lastHolder = releasedNow && identity.lease !== null ? { worktreeKey: identity.lease.worktreeKey, worktreePath: identity.lease.worktreePath } : identity.lastHolder;
    found.push({ identity, listed, lastHolder, idleSince });
  }
  return found.sort((a, b) => (a.idleSince ?? 0) - (b.idleSince ?? 0) || compareText(a.identity.name, b.identity.name));
}

function isLastHolder(candidate: Candidate, want: Wanting): boolean {
  const last = candidate.lastHolder;
  return last !== null && last.worktreeKey === want.observed.key && last.worktreePath === want.observed.worktree.path;
}

function sameRepo(candidate: Candidate, want: Wanting): boolean {
  return candidate.lastHolder?.worktreeKey.startsWith(`${want.inventory.commonDir}::`) ?? false;
}

function focusFirst(a: Wanting, b: Wanting, focusKey: string | null): number {
  return Number(b.observed.key === focusKey) - Number(a.observed.key === focusKey);
}
