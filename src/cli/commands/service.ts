/** `service install|uninstall|status|logs|restart`: the daemon as a launchd agent (macOS) or systemd user unit (Linux). */
import type { ServiceLogPaths } from '../../service/paths.js';
import type { ServiceSpec } from '../../service/program.js';
import type { ServiceEnvironment } from '../../service/service-manager.js';
import { defineCommand, defineGroup, type CommandInput } from '../command.js';
import type { CommandContext, ContextFlags } from '../context.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { booleanFlag } from '../flags.js';
import { writeJson, writeLine } from '../io.js';
import { CONFIG_FLAGS, dryRun, json, repo } from '../shared-flags.js';

/** Lines `service logs` prints before following. */
const TAIL_LINES = 100;

const INSTALL_FLAGS = { ...CONFIG_FLAGS, repo: { ...repo, help: 'repository the service manages (pinned in the service file)' }, 'dry-run': dryRun, json };
const UNINSTALL_FLAGS = { ...CONFIG_FLAGS, 'dry-run': dryRun, json };
const STATUS_FLAGS = { ...CONFIG_FLAGS, json };
const LOGS_FLAGS = { ...CONFIG_FLAGS, follow: booleanFlag({ short: 'f', help: 'keep printing new lines until Ctrl-C' }) };
const RESTART_FLAGS = { ...CONFIG_FLAGS, json };

export type Verb = 'install' | 'uninstall' | 'status' | 'logs' | 'restart';
/** The flags of every verb; each verb has only its own. */
export type ServiceContext = CommandContext<ContextFlags & { readonly json?: boolean; readonly dryRun?: boolean; readonly follow?: boolean }>;

export default defineGroup({
  summary: 'run the daemon as a launchd agent (macOS) or systemd user unit (Linux)',
  description:
    'Installs, inspects and removes the daemon as a service of your login session: a LaunchAgent on macOS, a systemd ' +
    'user unit on Linux. The service file pins this node, this CLI and the config, state dir and repos this shell found.',
  subcommands: {
    install: defineCommand({
      summary: 'install and start the service (macOS: LaunchAgent + launchctl bootstrap; Linux: systemd user unit)',
      flags: INSTALL_FLAGS,
      finishesWhenStdoutCloses: true,
      examples: ['service install', 'service install --dry-run'],
      run: (input) => runVerb('install', input),
    }),
    uninstall: defineCommand({ summary: 'stop the service and remove its file', flags: UNINSTALL_FLAGS, finishesWhenStdoutCloses: true, run: (input) => runVerb('uninstall', input) }),
    status: defineCommand({ summary: 'whether the service is installed, loaded and running (pid, last exit code)', flags: STATUS_FLAGS, run: (input) => runVerb('status', input) }),
    logs: defineCommand({ summary: 'the daemon log\'s last lines; --follow keeps printing', flags: LOGS_FLAGS, run: (input) => runVerb('logs', input) }),
    restart: defineCommand({ summary: 'restart the service (after an upgrade, say)', flags: RESTART_FLAGS, finishesWhenStdoutCloses: true, run: (input) => runVerb('restart', input) }),
  },
});

async function runVerb(verb: Verb, input: CommandInput<typeof CONFIG_FLAGS>): Promise<ExitCodeValue> {
  const { createCommandContext } = await import('../context.js');
  // Only install lists worktrees' repos; the rest need the state dir alone and run anywhere.
  const context = await createCommandContext(input, { scope: verb === 'install' ? 'here' : 'state-only' });
  return serviceCommand(verb, context as ServiceContext);
}

export interface ServiceCommandOptions {
  /** @default the real machine (execa, process.platform, HOME, getuid) */
  readonly environment?: ServiceEnvironment;
  /** @default process.execPath */
  readonly execPath?: string;
  /** @default the real path of bin/ravi-orchestrator.cjs */
  readonly cliPath?: string;
  /** Stops `logs --follow`. @default aborted by SIGINT */
  readonly signal?: AbortSignal;
}

/** The engine of the verbs, loaded with the first one that runs. */
async function engine() {
  const [manager, program, paths, logFile, stateDir] = await Promise.all([
    import('../../service/service-manager.js'),
    import('../../service/program.js'),
    import('../../service/paths.js'),
    import('../../daemon/log-file.js'),
    import('../../config/state-dir.js'),
  ]);
  return { ...manager, ...program, ...paths, ...logFile, STATE_DIR_ENV: stateDir.STATE_DIR_ENV };
}
type Engine = Awaited<ReturnType<typeof engine>>;

/** A verb with a built context (what tests call, with a fake environment). */
export async function serviceCommand(verb: Verb, context: ServiceContext, options: ServiceCommandOptions = {}): Promise<ExitCodeValue> {
  const e = await engine();
  const environment = options.environment ?? e.defaultServiceEnvironment(context.io.env);
  const logs = e.serviceLogPaths(e.defaultLogDir(context.config.stateDir));
  switch (verb) {
    case 'install':
      return install(e, context, environment, logs, options);
    case 'uninstall':
      return uninstall(e, context, environment);
    case 'restart': {
      const command = await e.restartService(environment);
      return report(context, { ok: true, ran: [e.formatCommand(command)] }, [`Restarted: ${e.formatCommand(command)}`]);
    }
    case 'status':
      return status(e, context, environment, logs);
    case 'logs':
      return showLogs(e, context, environment, logs, options.signal);
  }
}

async function install(e: Engine, context: ServiceContext, environment: ServiceEnvironment, logs: ServiceLogPaths, options: ServiceCommandOptions): Promise<ExitCodeValue> {
  const { flags, config, io } = context;
  // The service starts in the home folder with a bare environment: pin what this shell found on its own.
  const pinned = {
    configFile: config.source,
    stateDir: flags.stateDir != null || io.env[e.STATE_DIR_ENV] ? config.stateDir : null,
    repos: (flags.repo ?? []).length > 0 || config.source === null ? config.repos : [],
  };
  const program = await e.resolveServiceProgram({ flags: pinned, pathEnv: io.env['PATH'], execPath: options.execPath, cliPath: options.cliPath });
  const spec: ServiceSpec = { program, home: environment.home, logs };
  const result = await e.installService(environment, spec, flags.dryRun === true);
  const commands = result.commands.map(e.formatCommand);
  const ifNotLoaded = result.ifNotLoaded.map(e.formatCommand);
  const lines: string[] = [];
  if (result.dryRun) {
    if (result.fileState === 'unchanged') lines.push(`${result.file} is up to date; nothing to write.`);
    else lines.push(`Would write ${result.file} (mode 0644):`, '', ...result.content.trimEnd().split('\n'), '');
    lines.push(...commandLines('Would run:', commands), ...commandLines('Would run, only if the service is not loaded:', ifNotLoaded));
  } else {
    lines.push(result.fileState === 'unchanged' ? `${result.file} is up to date.` : `Wrote ${result.file}`);
    lines.push(...commandLines('Ran:', commands), `Logs: ${logs.daemonLog} (ravi-orchestrator service logs)`);
    if (result.manager === 'systemd') {
      lines.push(`The daemon runs while you are logged in; to keep it running after logout: loginctl enable-linger ${io.env['USER'] ?? '$USER'}`);
    }
  }
  return report(context, { ok: true, ...result, commands, ifNotLoaded, logFile: logs.daemonLog }, lines);
}

async function uninstall(e: Engine, context: ServiceContext, environment: ServiceEnvironment): Promise<ExitCodeValue> {
  const result = await e.uninstallService(environment, context.flags.dryRun === true);
  const commands = result.commands.map(e.formatCommand);
  const verb = result.dryRun ? 'Would run:' : 'Ran:';
  const fileLine = !result.existed ? `${result.file} does not exist.` : result.dryRun ? `Would remove ${result.file}` : `Removed ${result.file}`;
  return report(context, { ok: true, ...result, commands }, [...commandLines(verb, commands), fileLine]);
}

async function status(e: Engine, context: ServiceContext, environment: ServiceEnvironment, logs: ServiceLogPaths): Promise<ExitCodeValue> {
  const result = await e.serviceStatus(environment);
  const state = !result.loaded
    ? 'not loaded'
    : result.running
      ? `running${result.pid === null ? '' : ` (pid ${result.pid})`}`
      : `loaded, not running${result.lastExitCode === null ? '' : ` (last exit code ${result.lastExitCode})`}`;
  return report(context, { ...result, logFile: logs.daemonLog }, [
    `manager  ${result.manager} (${result.name})`,
    `file     ${result.file} (${result.installed ? 'installed' : 'not installed'})`,
    `state    ${state}`,
    `log      ${logs.daemonLog}`,
  ]);
}

async function showLogs(e: Engine, context: ServiceContext, environment: ServiceEnvironment, logs: ServiceLogPaths, signal: AbortSignal | undefined): Promise<ExitCodeValue> {
  const { stdout, stderr } = context.io;
  const lines = await e.readLogTail(logs.daemonLog, TAIL_LINES).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (lines === null) {
    const elsewhere = environment.platform === 'darwin' ? `see ${logs.stderr}` : 'see journalctl --user -u ravi-orchestrator';
    writeLine(stderr, `No daemon log yet at ${logs.daemonLog} (has the daemon started? ${elsewhere})`);
    if (context.flags.follow !== true) return ExitCode.FAILURE;
  }
  for (const line of lines ?? []) writeLine(stdout, line);
  if (context.flags.follow !== true) return ExitCode.OK;
  await withSigint(signal, (abort) => e.followLogFile(logs.daemonLog, (text) => stdout.write(text), abort));
  return ExitCode.OK;
}

/** Runs `task` until `signal` (or, when none is given, the first Ctrl-C) aborts it. */
async function withSigint(signal: AbortSignal | undefined, task: (signal: AbortSignal) => Promise<void>): Promise<void> {
  if (signal !== undefined) return task(signal);
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    await task(controller.signal);
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

function commandLines(title: string, commands: readonly string[]): string[] {
  return commands.length === 0 ? [] : [title, ...commands.map((command) => `  ${command}`)];
}

function report(context: ServiceContext, json: object, lines: readonly string[]): ExitCodeValue {
  if (context.flags.json === true) writeJson(context.io.stdout, json);
  else for (const line of lines) writeLine(context.io.stdout, line);
  return ExitCode.OK;
}
