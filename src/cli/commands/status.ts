/**
 * `status`: the daemon, then a table of worktree, branch, identity, email, phone, env state (or --json). Reads
 * only. With no repo in reach (no repo here, no --repo, none configured) it shows every repo the state dir manages.
 */
import { defineCommand } from '../command.js';
import { ExitCode } from '../exit-codes.js';
import { writeJson, writeLine } from '../io.js';
import { FLEET_FLAGS, json, worktree } from '../shared-flags.js';

export default defineCommand({
  summary: 'the daemon, a table of worktree, branch, identity, email, phone, ports, env state, and the identity pool',
  description:
    'The daemon (pid, uptime, next resync, per repo the last pass and any error, repos it does not watch), one row ' +
    'per worktree: branch, leased identity, email, phone, port block, env state (in sync, pending, error, unmanaged, ' +
    'orphan, released), and the pool: idle identities, available or in quarantine and for how long. Reads only. Outside ' +
    'any repo (and without --repo or configured repos) it shows every repo the state dir manages.',
  flags: { ...FLEET_FLAGS, worktree: { ...worktree, help: 'only the worktree containing PATH' }, json },
  examples: ['status', 'status --json'],
  async run(input) {
    const [{ createCommandContext }, { runPass }, { buildStatus }, { formatTable }, { displayPath }, { formatDaemonStatus }, { runningDaemon }, { readDaemonStatus }, { canonicalPath }, { formatPool }, { withPortUse }] =
      await Promise.all([
        import('../context.js'),
        import('../../reconcile/engine.js'),
        import('../../reconcile/status.js'),
        import('../format/table.js'),
        import('../format/describe-action.js'),
        import('../format/daemon-text.js'),
        import('../../daemon/instance-lock.js'),
        import('../../daemon/status-file.js'),
        import('../../util/same-path.js'),
        import('../format/pool-text.js'),
        import('../status-port-use.js'),
      ]);
    const context = await createCommandContext(input, { scope: 'fleet' });
    const { config } = context;
    const { io, flags } = input;
    const report = await runPass({ config, provider: context.provider, logger: context.logger, mode: 'plan', worktree: context.worktree });
    const globalProblems = report.plan.problems.filter((p) => p.worktreePath === null).map((p) => p.message);
    const [daemonPid, daemonStatus] = await Promise.all([runningDaemon(config.stateDir), readDaemonStatus(config.stateDir)]);
    // A running daemon keeps only its own repos in sync: say which of ours it does not watch.
    const watched = daemonPid === null || daemonStatus === null ? null : new Set(await Promise.all(daemonStatus.repos.map((r) => canonicalPath(r.repo))));
    const canonical = new Map(await Promise.all(config.repos.map(async (repo) => [repo, await canonicalPath(repo)] as const)));
    const unwatched = watched === null ? [] : config.repos.filter((repo) => !watched.has(canonical.get(repo) ?? repo));
    const unwatchedCanonical = new Set(unwatched.map((repo) => canonical.get(repo) ?? repo));
    const fleet = buildStatus(report.observed, report.plan, config);
    const rows = await Promise.all(
      (await withPortUse(fleet.worktrees, report.observed)).map(async (row) => {
        const watchedByDaemon = watched === null ? false : !unwatchedCanonical.has(await canonicalPath(row.repo));
        const stale = watched !== null && !watchedByDaemon && row.env === 'pending';
        return { ...row, watchedByDaemon, detail: stale ? `${row.detail}; the daemon does not watch this repo: run \`ravi-orchestrator reconcile\`` : row.detail };
      }),
    );
    if (flags.json) {
      writeJson(io.stdout, {
        provider: config.provider.kind,
        stateDir: config.stateDir,
        repos: config.repos,
        daemon: { running: daemonPid !== null, status: daemonPid === null ? null : daemonStatus, unwatched },
        worktrees: rows,
        pool: fleet.pool,
        deleteRefused: fleet.deleteRefused,
        problems: globalProblems,
      });
      return ExitCode.OK;
    }
    for (const line of formatDaemonStatus(daemonStatus, daemonPid !== null, Date.now(), unwatched)) writeLine(io.stdout, line);
    writeLine(io.stdout);
    const withPorts = config.ports !== null || rows.some((row) => row.ports !== null);
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
    for (const line of table) writeLine(io.stdout, line);
    for (const line of formatPool(fleet, Date.now())) writeLine(io.stdout, line);
    for (const problem of globalProblems) writeLine(io.stdout, `! ${problem}`);
    return ExitCode.OK;
  },
});
