/** The pool part of `status`: idle identities, which may be leased now and which rest in quarantine until when. */
import type { FleetStatus } from '../../reconcile/status.js';
import { formatDuration } from '../../reconcile/plan-leftovers.js';
import { formatTable } from './table.js';
import { displayPath } from './describe-action.js';

export function formatPool(fleet: FleetStatus, now: number): string[] {
  if (fleet.pool.length === 0) return [];
  const available = fleet.pool.filter((row) => row.state === 'available').length;
  const resting = fleet.pool.filter((row) => row.state === 'quarantine').length;
  const lines = ['', `identity pool: ${fleet.pool.length} idle (${available} available, ${resting} in quarantine)`];
  const table = formatTable(
    ['IDENTITY', 'EMAIL', 'PHONE', 'STATE', 'IDLE FOR', 'LAST WORKTREE'],
    fleet.pool.map((row) => [
      row.identity,
      row.email ?? '-',
      row.phone ?? '-',
      row.state === 'quarantine' && row.availableAt !== null ? `quarantine, ${formatDuration(Date.parse(row.availableAt) - now)} left` : row.state,
      row.idleSince === null ? '-' : formatDuration(Math.max(0, now - Date.parse(row.idleSince))),
      row.lastWorktree === null ? '-' : displayPath(row.lastWorktree),
    ]),
  );
  lines.push(...table.map((line) => `  ${line}`));
  if (fleet.deleteRefused !== null) {
    lines.push(`  the provider refused to delete identities${fleet.deleteRefused.status === null ? '' : ` (HTTP ${fleet.deleteRefused.status})`} on ${fleet.deleteRefused.at}: idle ones are kept and reused`);
  }
  return lines;
}
