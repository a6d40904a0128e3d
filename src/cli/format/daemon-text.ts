/** The daemon part of `status`: pid, uptime, per-repo last pass, queue, errors. */
import type { DaemonStatus } from '../../daemon/status-file.js';
import { formatDuration } from '../../reconcile/plan-leftovers.js';
import { displayPath } from './describe-action.js';

/** `unwatched`: repos this status shows that the running daemon does not watch (so nothing keeps them in sync). */
export function formatDaemonStatus(status: DaemonStatus | null, running: boolean, now: number, unwatched: readonly string[] = []): string[] {
  if (!running || status === null) {
    return [`daemon: not running${status?.updatedAt ? ` (last seen ${status.updatedAt})` : ''}; start it with \`ravi-orchestrator service install\` or \`ravi-orchestrator daemon\``];
  }
  const uptime = formatDuration(now - Date.parse(status.startedAt));
  const resync = status.nextResyncAt === null ? '' : `, next resync in ${formatDuration(Math.max(0, Date.parse(status.nextResyncAt) - now))}`;
  const lines = [`daemon: ${status.state} (pid ${status.pid}, up ${uptime}${resync}); queue: ${status.queue.queued.length} queued, ${status.queue.running.length} running`];
  if (status.mail) lines.push(`  local mail: SMTP ${status.mail.smtp}, SMS ${status.mail.sms}`);
  if (status.dashboard) lines.push(`  dashboard: ${status.dashboard.url}`);
  if (status.configError !== null) lines.push(`  ! config reload failed, running with the last good config: ${status.configError}`);
  for (const repo of unwatched) {
    const config = status.configSource === null ? 'it started without a config file' : `its config is ${displayPath(status.configSource)}`;
    lines.push(`  ! not watching ${displayPath(repo)} (${config}): run \`ravi-orchestrator reconcile\` there, or add it to the daemon's repos and restart it`);
  }
  const watch = status.watch;
  if (watch !== undefined && watch.unwatched > 0) {
    const codes = [...new Set(watch.problems.map((problem) => problem.code))].join(', ');
    lines.push(`  ! ${watch.unwatched} folder(s) not watched (${codes}): changes there are seen every ${formatDuration(watch.fallbackResyncMs ?? 0)}, not at once`);
    if (watch.fix !== null) lines.push(`    fix: ${watch.fix}`);
  }
  for (const repo of status.repos) {
    const pass = repo.lastPass;
    const last = pass === null
      ? 'no pass yet'
      : `last pass ${formatDuration(Math.max(0, now - Date.parse(pass.startedAt)))} ago (${pass.durationMs} ms): ${pass.created} created, ${pass.leased ?? 0} leased, ${pass.released ?? 0} released, ${pass.updated} updated, ${pass.deleted} deleted, ${pass.failed} failed`;
    lines.push(`  ${displayPath(repo.repo)}: ${last}`);
    if (repo.error !== null) lines.push(`    ! ${repo.error}${repo.retryAt === null ? '' : ` (retry at ${repo.retryAt})`}`);
  }
  return lines;
}
