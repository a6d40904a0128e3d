/** `status`: table of worktree, branch, identity, email, phone, env state (or --json). Reads only. */
import { runPass } from '../../reconcile/engine.js';
import { buildStatus } from '../../reconcile/status.js';
import type { CommandContext } from '../context.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { writeJson, writeLine } from '../io.js';
import { formatTable } from '../format/table.js';
import { displayPath } from '../format/describe-action.js';
import { formatDaemonStatus } from '../format/daemon-text.js';
import { formatPool } from '../format/pool-text.js';
import { describePortsInUse, portsInUse, type PortInUse } from '../../ports/port-usage.js';
import { portsOf } from '../../ports/port-slots.js';
import type { StatusRow } from '../../reconcile/status.js';
import type { Observed } from '../../reconcile/observed.js';
import { runningDaemon } from '../../daemon/instance-lock.js';
import { readDaemonStatus } from '../../daemon/status-file.js';

/** A port of a worktree's block that a program outside the worktree listens on is reported, never moved. */
async function withPortUse(rows: readonly StatusRow[], observed: Observed): Promise<Array<StatusRow & { portsInUse: PortInUse[]; portsNote: string | null }>> {
  const keyOf = new Map(observed.repos.flatMap((repo) => repo.worktrees).map((w) => [w.worktree.path, w.key]));
  return Promise.all(rows.map(async (row) => {
    const key = row.worktree === null ? null : (keyOf.get(row.worktree) ?? null);
    const block = key === null ? undefined : observed.ports.blocks.get(key);
    const uses = block === undefined || row.worktree === null ? [] : await portsInUse(portsOf(block), row.worktree);
    return { ...row, portsInUse: uses, portsNote: describePortsInUse(uses) };
  }));
}

export async function statusCommand(context: CommandContext): Promise<ExitCodeValue> {
  const report = await runPass({ config: context.config, provider: context.provider, logger: context.logger, mode: 'plan', worktree: context.worktree });
  const fleet = buildStatus(report.observed, report.plan, context.config);
  const rows = await withPortUse(fleet.worktrees, report.observed);
  const globalProblems = report.plan.problems.filter((p) => p.worktreePath === null).map((p) => p.message);
  const [daemonPid, daemonStatus] = await Promise.all([runningDaemon(context.config.stateDir), readDaemonStatus(context.config.stateDir)]);
  if (context.args.json) {
    writeJson(context.io.stdout, {
      provider: context.config.provider.kind,
      stateDir: context.config.stateDir,
      daemon: { running: daemonPid !== null, status: daemonPid === null ? null : daemonStatus },
      worktrees: rows,
      pool: fleet.pool,
      deleteRefused: fleet.deleteRefused,
      problems: globalProblems,
    });
    return ExitCode.OK;
  }
  for (const line of formatDaemonStatus(daemonStatus, daemonPid !== null, Date.now())) writeLine(context.io.stdout, line);
  writeLine(context.io.stdout);
  const withPorts = context.config.ports !== null || rows.some((row) => row.ports !== null);
  const table = formatTable(
    ['WORKTREE', 'BRANCH', 'IDENTITY', 'EMAIL', 'PHONE', ...(withPorts ? ['PORTS'] : []), 'ENV', 'DETAIL'],
    rows.map((row) => [
      row.worktree === null ? '(gone)' : displayPath(row.worktree),
      row.branch,
      row.identity ?? '-',
      row.email ?? '-',
      row.phone ?? '-',
      ...(withPorts ? [row.ports ?? '-'] : []),
      row.env,
      [row.env === 'in sync' ? '' : row.detail, row.portsNote ?? ''].filter((part) => part !== '').join('; '),
    ]),
  );
  for (const line of table) writeLine(context.io.stdout, line);
  for (const line of formatPool(fleet, Date.now())) writeLine(context.io.stdout, line);
  for (const problem of globalProblems) writeLine(context.io.stdout, `! ${problem}`);
  return ExitCode.OK;
}
