/**
 * `dashboard [--port N]`: serves the fleet page on 127.0.0.1 until SIGINT/SIGTERM. Prints the link (it
 * carries the access token) and, with --json, one line `{"url": ...}` for scripts and tests.
 */
import type { DashboardActions } from '../../dashboard/server.js';
import { defineCommand, type CommandInput } from '../command.js';
import type { CommandContext } from '../context.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { invalidValue, valueFlag } from '../flags.js';
import { writeJson, writeLine } from '../io.js';
import { FLEET_FLAGS, json } from '../shared-flags.js';
import { untilStopSignal } from '../stop-signal.js';

const DEFAULT_PORT = 0;
const LOCK_WAIT_MS = 45_000;

const FLAGS = {
  port: valueFlag({
    valueName: 'N',
    help: 'port on 127.0.0.1 (0: any free one)',
    defaultText: 'the daemon\'s page if it serves one, else any free port',
    convert: (text, name) => {
      const port = Number(text);
      if (!/^\d+$/.test(text) || port > 65535) throw invalidValue(name, 'a port number from 0 to 65535', text);
      return port;
    },
  }),
  ...FLEET_FLAGS,
  json,
};

export default defineCommand({
  summary: 'a live page of the fleet on 127.0.0.1 (the link carries an access token)',
  description:
    'Serves one page for the whole fleet on 127.0.0.1 until Ctrl-C: each repo and worktree with its identity, env state ' +
    'and unread counts, the daemon\'s last pass, the audit timeline, and buttons to reconcile or release. Prints the link, ' +
    'which carries the access token; with --json one line {"url": ...}. When the daemon serves the dashboard, prints its link.',
  flags: FLAGS,
  finishesWhenStdoutCloses: true,
  async run(input) {
    const { createCommandContext } = await import('../context.js');
    return dashboardCommand(await createCommandContext(input));
  },
});

async function dashboardCommand(context: CommandContext<CommandInput<typeof FLAGS>['flags']>): Promise<ExitCodeValue> {
  const [{ startDashboard }] = await Promise.all([import('../../dashboard/dashboard.js')]);
  const { config, provider, logger } = context;
  // The daemon already serves one (config dashboard.enabled): point there rather than start a second.
  const served = context.flags.port === null ? await daemonDashboardUrl(config.stateDir) : null;
  if (served !== null) {
    if (context.flags.json) writeJson(context.io.stdout, { url: served, port: Number(new URL(served).port), servedBy: 'daemon' });
    else writeLine(context.io.stdout, `The daemon serves the dashboard: ${served}`);
    return ExitCode.OK;
  }
  const dashboard = await startDashboard({
    config: () => config,
    provider: () => provider,
    logger,
    port: context.flags.port ?? DEFAULT_PORT,
    actions: oneShotActions(context),
    watch: 'state-and-repos',
  });
  await dashboard.ready;
  if (context.flags.json) writeJson(context.io.stdout, { url: dashboard.url, port: dashboard.port });
  else {
    writeLine(context.io.stdout, `Dashboard: ${dashboard.url}`);
    writeLine(context.io.stdout, 'The link carries this session\'s access token; anyone with it can see names, addresses and release identities. Ctrl-C stops.');
  }
  await untilStopSignal();
  await dashboard.close();
  return ExitCode.OK;
}

async function daemonDashboardUrl(stateDir: string): Promise<string | null> {
  const [{ runningDaemon }, { readDaemonStatus }] = await Promise.all([import('../../daemon/instance-lock.js'), import('../../daemon/status-file.js')]);
  const [daemon, status] = await Promise.all([runningDaemon(stateDir), readDaemonStatus(stateDir)]);
  return daemon !== null && status?.pid === daemon.pid ? (status.dashboard?.url ?? null) : null;
}

/** Without a daemon in this process the buttons run the engine directly (the state lock orders them with any daemon). */
function oneShotActions(context: CommandContext): DashboardActions {
  const { config, provider, logger } = context;
  return {
    async reconcile() {
      const [{ runPass }, { countChanges }] = await Promise.all([import('../../reconcile/engine.js'), import('../../reconcile/actions.js')]);
      const report = await runPass({ config, provider, logger, mode: 'apply', lockWaitMs: LOCK_WAIT_MS });
      const done = countChanges(report.results.filter((r) => r.status === 'done').map((r) => r.action));
      const failed = report.results.filter((r) => r.status === 'failed');
      const summary = `Reconciled: ${done.create} created, ${done.update} updated, ${done.delete} deleted.`;
      if (failed.length > 0) throw new Error(`${summary} ${failed.length} failed: ${failed[0]?.error?.message ?? 'unknown error'}`);
      return summary;
    },
    release: async (worktree) => (await import('../../dashboard/release-action.js')).releaseFromDashboard({ config, provider, logger, lockWaitMs: LOCK_WAIT_MS }, worktree),
  };
}
