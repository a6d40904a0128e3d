/**
 * The fleet at a glance, derived from a pass. Pure. One row per worktree (and per lease whose worktree is
 * gone), plus the pool: which identities rest idle, which are still in quarantine and until when.
 */
import type { Observed } from './observed.js';
import { actionTarget, type Plan } from './actions.js';
import type { Config } from '../config/types.js';
import type { LedgerIdentity } from '../files/ledger.js';
import { LeaseIndex } from '../files/lease-index.js';
import { shortBranch } from './templates.js';
import { formatDuration } from './plan-leftovers.js';
import { formatBlock } from '../ports/port-slots.js';

export type EnvState = 'in sync' | 'pending' | 'error' | 'unmanaged' | 'orphan' | 'released';

export interface StatusRow {
  readonly repo: string;
  readonly worktree: string | null;
  readonly branch: string;
  readonly managed: boolean;
  readonly identity: string | null;
  readonly uuid: string | null;
  readonly email: string | null;
  readonly phone: string | null;
  /** When this worktree's lease began (its agent sees only what arrived since), null without a lease. */
  readonly leaseSince: string | null;
  readonly leaseId: string | null;
  /** The worktree's port block (`20000-20002`), null without one. */
  readonly ports: string | null;
  readonly env: EnvState;
  /** Why it is unmanaged, what is pending, or what is wrong. */
  readonly detail: string;
}

export type PoolState = 'available' | 'quarantine' | 'creating';

export interface PoolRow {
  readonly identity: string;
  readonly uuid: string | null;
  readonly email: string | null;
  readonly phone: string | null;
  readonly state: PoolState;
  /** When it went idle; null if it never was leased. */
  readonly idleSince: string | null;
  /** When another worktree may lease it (end of quarantine); null when it may now. */
  readonly availableAt: string | null;
  /** The worktree that held it last. */
  readonly lastWorktree: string | null;
  readonly leases: number;
}

export interface FleetStatus {
  readonly worktrees: readonly StatusRow[];
  readonly pool: readonly PoolRow[];
  /** Set once the provider refused to delete: idle identities are then kept whatever `pool.keepIdle` says. */
  readonly deleteRefused: { readonly at: string; readonly status: number | null } | null;
}

export function buildStatus(observed: Observed, plan: Plan, config: Pick<Config, 'orphans' | 'pool'>): FleetStatus {
  return { worktrees: worktreeRows(observed, plan, config.orphans.graceMs), pool: poolRows(observed, config.pool.quarantineMs), deleteRefused: observed.ledger.provider.deleteRefused };
}

function worktreeRows(observed: Observed, plan: Plan, graceMs: number): StatusRow[] {
  const identities = [...observed.ledger.identities.values()];
  const leases = new LeaseIndex(observed.ledger.identities); // one row per worktree: no scan per row
  const rows: StatusRow[] = [];
  for (const repo of observed.repos) {
    if (!repo.inventory.ok) continue;
    const { mainPath, commonDir } = repo.inventory.value;
    const seen = new Set<string>();
    for (const item of repo.worktrees) {
      const held = item.key === null ? undefined : leases.leaseOf(item.key);
      if (item.key !== null) seen.add(item.key);
      const path = item.worktree.path;
      const problems = plan.problems.filter((p) => p.worktreePath === path).map((p) => p.message);
      const pending = plan.actions.filter((a) => {
        const target = actionTarget(a);
        return target !== null && target.key === item.key && target.worktreePath === path && isVisible(a.type);
      });
      const released = item.key !== null && observed.ledger.released.has(item.key) && held === undefined;
      const env: EnvState = !item.managed ? 'unmanaged' : released ? 'released' : problems.length > 0 ? 'error' : pending.length > 0 ? 'pending' : 'in sync';
      rows.push({
        repo: mainPath,
        worktree: path,
        branch: shortBranch(item.worktree.branch) || (item.worktree.detached ? '(detached)' : ''),
        managed: item.managed,
        ...identityColumns(held),
        ports: portsOf(observed, item.key),
        env,
        detail: released
          ? 'lease ended by teardown; `reconcile --worktree` leases it an identity again'
          : (problems[0] ?? (item.managed ? pending.map((a) => a.type).join(', ') : (item.unmanagedReason ?? ''))),
      });
    }
    for (const identity of identities) {
      const lease = identity.lease;
      if (lease === null || lease.commonDir !== commonDir || seen.has(lease.worktreeKey)) continue;
      const since = lease.orphanedSince === null ? observed.now : Date.parse(lease.orphanedSince);
      const remaining = since + graceMs - observed.now;
      rows.push({
        repo: mainPath,
        worktree: null,
        branch: shortBranch(lease.branch),
        managed: false,
        ...identityColumns(identity),
        ports: portsOf(observed, lease.worktreeKey),
        env: 'orphan',
        detail: `worktree gone (was ${lease.worktreePath}); its lease ends ${remaining > 0 ? `in ${formatDuration(remaining)}` : 'on the next reconcile'} and the identity returns to the pool`,
      });
    }
  }
  return rows;
}

function poolRows(observed: Observed, quarantineMs: number): PoolRow[] {
  const rows: PoolRow[] = [];
  for (const identity of observed.ledger.identities.values()) {
    if (identity.lease !== null) continue;
    const idle = identity.idleSince === null ? null : Date.parse(identity.idleSince);
    const availableAt = idle === null || idle + quarantineMs <= observed.now ? null : new Date(idle + quarantineMs).toISOString();
    rows.push({
      identity: identity.name,
      uuid: identity.uuid,
      email: identity.email,
      phone: identity.phone,
      state: identity.state === 'creating' ? 'creating' : availableAt === null ? 'available' : 'quarantine',
      idleSince: identity.idleSince,
      availableAt,
      lastWorktree: identity.lastHolder?.worktreePath ?? null,
      leases: identity.leases,
    });
  }
  return rows.sort((a, b) => (a.idleSince ?? '').localeCompare(b.idleSince ?? '') || a.identity.localeCompare(b.identity));
}

function identityColumns(identity: LedgerIdentity | undefined): Pick<StatusRow, 'identity' | 'uuid' | 'email' | 'phone' | 'leaseSince' | 'leaseId'> {
  return {
    identity: identity?.name ?? null,
    uuid: identity?.uuid ?? null,
    email: identity?.email ?? null,
    phone: identity?.phone ?? null,
    leaseSince: identity?.lease?.since ?? null,
    leaseId: identity?.lease?.id ?? null,
  };
}

function portsOf(observed: Observed, key: string | null): string | null {
  const block = key === null ? undefined : observed.ports.blocks.get(key);
  return block === undefined ? null : formatBlock(block);
}

function isVisible(type: string): boolean {
  return !['update-lease', 'clear-orphan', 'mark-orphan', 'forget-worktree', 'forget-identity', 'revive-worktree', 'update-ports', 'claim-repo'].includes(type);
}
