/**
 * What the dashboard shows, gathered in one place: a read-only pass (the same rows as `status`), the
 * daemon's status file, unread message counts and the tail of the audit trail. Names, addresses and
 * states only: no secret value is ever read into a snapshot, so none can reach the page.
 */
import type { Logger } from '../util/logger.js';
import type { Config } from '../config/types.js';
import type { Provider } from '../providers/types.js';
import { runPass } from '../reconcile/engine.js';
import { buildStatus, type FleetStatus, type StatusRow } from '../reconcile/status.js';
import { readAuditTail, type AuditRecord } from '../audit/audit-log.js';
import { runningDaemon } from '../daemon/instance-lock.js';
import { readDaemonStatus, type PassSummary } from '../daemon/status-file.js';
import type { UnreadCounter, UnreadCounts } from './unread.js';

export interface DashboardWorktree extends StatusRow {
  /** null when unknown: no identity, or the provider could not be asked. */
  readonly unread: UnreadCounts | null;
}

export interface DashboardRepo {
  readonly path: string;
  /** Why its worktrees could not be listed, if they could not. */
  readonly error: string | null;
  readonly lastPass: PassSummary | null;
  readonly passError: string | null;
  readonly worktrees: readonly DashboardWorktree[];
}

export interface DashboardSnapshot {
  readonly generatedAt: string;
  readonly provider: string;
  readonly stateDir: string;
  readonly daemon: { readonly running: boolean; readonly pid: number | null; readonly state: string | null; readonly configError: string | null };
  readonly repos: readonly DashboardRepo[];
  /** Problems that concern no single worktree (an identity listing that failed, say). */
  readonly problems: readonly string[];
  /** Idle identities: available, or resting in quarantine. */
  readonly pool: FleetStatus['pool'];
  /** Newest first. */
  readonly audit: readonly AuditRecord[];
}

export const AUDIT_ROWS = 50;

export async function collectSnapshot(deps: { config: Config; provider: Provider; logger: Logger; unread: UnreadCounter; now?: () => number }): Promise<DashboardSnapshot> {
  const { config, provider, logger } = deps;
  const now = (deps.now ?? Date.now)();
  const [report, daemon, daemonStatus, audit] = await Promise.all([
    runPass({ config, provider, logger, mode: 'plan', now: () => now }),
    runningDaemon(config.stateDir),
    readDaemonStatus(config.stateDir),
    readAuditTail(config.stateDir, AUDIT_ROWS),
  ]);
  const fleet = buildStatus(report.observed, report.plan, config);
  const rows = fleet.worktrees;
  const leases = rows.flatMap((r) => (r.managed && r.uuid !== null && r.leaseId !== null && r.leaseSince !== null ? [{ uuid: r.uuid, leaseId: r.leaseId, leaseSince: r.leaseSince }] : []));
  const unread = await deps.unread.countsFor(leases);
  const live = daemon === null ? null : daemonStatus;
  const repos = report.observed.repos.map((repo): DashboardRepo => {
    const mainPath = repo.inventory.ok ? repo.inventory.value.mainPath : repo.repoPath;
    const passStatus = live?.repos.find((r) => r.repo === repo.repoPath) ?? null;
    return {
      path: mainPath,
      error: repo.inventory.ok ? null : repo.inventory.error.message,
      lastPass: passStatus?.lastPass ?? null,
      passError: passStatus?.error ?? null,
      worktrees: rows.filter((row) => row.repo === mainPath).map((row) => ({ ...row, unread: row.leaseId === null ? null : (unread.get(row.leaseId) ?? null) })),
    };
  });
  return {
    generatedAt: new Date(now).toISOString(),
    provider: config.provider.kind,
    stateDir: config.stateDir,
    daemon: { running: daemon !== null, pid: daemon?.pid ?? null, state: live?.state ?? null, configError: live?.configError ?? null },
    repos,
    problems: report.plan.problems.filter((p) => p.worktreePath === null).map((p) => p.message),
    pool: fleet.pool,
    audit,
  };
}
