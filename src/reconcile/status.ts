/** The fleet at a glance: one row per worktree and per orphaned identity, derived from a pass. Pure. */
import type { Observed } from './observed.js';
import type { Plan } from './actions.js';
import { shortBranch } from './templates.js';
import { formatDuration } from './plan-orphans.js';

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
  readonly env: EnvState;
  /** Why it is unmanaged, what is pending, or what is wrong. */
  readonly detail: string;
}

export function buildStatus(observed: Observed, plan: Plan, graceMs: number): StatusRow[] {
  const ledger = new Map(observed.ledger.map((e) => [e.key, e]));
  const rows: StatusRow[] = [];
  for (const repo of observed.repos) {
    if (!repo.inventory.ok) continue;
    const { mainPath, commonDir } = repo.inventory.value;
    const seen = new Set<string>();
    for (const item of repo.worktrees) {
      const entry = item.key === null ? undefined : ledger.get(item.key);
      if (item.key !== null) seen.add(item.key);
      const path = item.worktree.path;
      const problems = plan.problems.filter((p) => p.worktreePath === path).map((p) => p.message);
      const pending = plan.actions.filter((a) => a.type !== 'ensure-excluded' && a.key === item.key && a.worktreePath === path && isVisible(a.type));
      const released = entry?.state === 'released';
      const env: EnvState = !item.managed ? 'unmanaged' : released ? 'released' : problems.length > 0 ? 'error' : pending.length > 0 ? 'pending' : 'in sync';
      rows.push({
        repo: mainPath,
        worktree: path,
        branch: shortBranch(item.worktree.branch) || (item.worktree.detached ? '(detached)' : ''),
        managed: item.managed,
        identity: entry?.name ?? null,
        uuid: entry?.uuid ?? null,
        email: entry?.email ?? null,
        phone: entry?.phone ?? null,
        env,
        detail: released
          ? 'identity released by teardown; `reconcile --worktree` gives it a new one'
          : (problems[0] ?? (item.managed ? pending.map((a) => a.type).join(', ') : (item.unmanagedReason ?? ''))),
      });
    }
    for (const entry of observed.ledger) {
      if (entry.commonDir !== commonDir || seen.has(entry.key) || entry.state === 'released') continue;
      const since = entry.orphanedSince === null ? observed.now : Date.parse(entry.orphanedSince);
      const remaining = since + graceMs - observed.now;
      rows.push({
        repo: mainPath,
        worktree: null,
        branch: shortBranch(entry.branch),
        managed: false,
        identity: entry.name,
        uuid: entry.uuid,
        email: entry.email,
        phone: entry.phone,
        env: 'orphan',
        detail: remaining > 0 ? `worktree gone (was ${entry.worktreePath}); deleted in ${formatDuration(remaining)}` : `worktree gone (was ${entry.worktreePath}); deleted on the next reconcile`,
      });
    }
  }
  return rows;
}

function isVisible(type: string): boolean {
  return type !== 'update-entry' && type !== 'clear-orphan' && type !== 'mark-orphan' && type !== 'forget-entry';
}
