/**
 * `dashboard [--port N]`: serves the fleet page on 127.0.0.1 until SIGINT/SIGTERM. Prints the link (it
 * carries the access token) and, with --json, one line `{"url": ...}` for scripts and tests.
 */
import { startDashboard } from '../../dashboard/dashboard.js';
import type { DashboardActions } from '../../dashboard/server.js';
import { runPass } from '../../reconcile/engine.js';
import { countChanges } from '../../reconcile/actions.js';
import { releaseFromDashboard } from '../../dashboard/release-action.js';
import type { CommandContext } from '../context.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { writeJson, writeLine } from '../io.js';
import { runningDaemon } from '../../daemon/instance-lock.js';
import { readDaemonStatus } from '../../daemon/status-file.js';

const DEFAULT_PORT = 0;
const LOCK_WAIT_MS = 45_000;

export async function dashboardCommand(context: CommandContext): Promise<ExitCodeValue> {
  const { config, provider, logger } = context;
  // The daemon already serves one (config dashboard.enabled): point there rather than start a second.
  const served = context.args.port === null ? await daemonDashboardUrl(config.stateDir) : null;
  if (served !== null) {
    if (context.args.json) writeJson(context.io.stdout, { url: served, port: Number(new URL(served).port), servedBy: 'daemon' });
    else writeLine(context.io.stdout, `The daemon serves the dashboard: ${served}`);
    return ExitCode.OK;
  }
  const dashboard = await startDashboard({
    config: () => config,
    provider: () => provider,
    logger,
    port: context.args.port ?? DEFAULT_PORT,
    actions: oneShotActions(context),
    watch: 'state-and-repos',
  });
  await dashboard.ready;
  if (context.args.json) writeJson(context.io.stdout, { url: dashboard.url, port: dashboard.port });
  else {
    writeLine(context.io.stdout, `Dashboard: ${dashboard.url}`);
    writeLine(context.io.stdout, 'The link carries this session\'s access token; anyone with it can see names, addresses and release identities. Ctrl-C stops.');
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await dashboard.close();
  return ExitCode.OK;
}

async function daemonDashboardUrl(stateDir: string): Promise<string | null> {
  const [daemon, status] = await Promise.all([runningDaemon(stateDir), readDaemonStatus(stateDir)]);
  return daemon !== null && status?.pid === daemon.pid ? (status.dashboard?.url ?? null) : null;
}

/** Without a daemon in this process the buttons run the engine directly (the state lock orders them with any daemon). */
function oneShotActions(context: CommandContext): DashboardActions {
  const { config, provider, logger } = context;
  return {
    async reconcile() {
      const report = await runPass({ config, provider, logger, mode: 'apply', lockWaitMs: LOCK_WAIT_MS });
      const done = countChanges(report.results.filter((r) => r.status === 'done').map((r) => r.action));
      const failed = report.results.filter((r) => r.status === 'failed');
      const summary = `Reconciled: ${done.create} created, ${done.update} updated, ${done.delete} deleted.`;
      if (failed.length > 0) throw new Error(`${summary} ${failed.length} failed: ${failed[0]?.error?.message ?? 'unknown error'}`);
      return summary;
    },
    release: (worktree) => releaseFromDashboard({ config, provider, logger, lockWaitMs: LOCK_WAIT_MS }, worktree),
  };
}
