/** `service install|uninstall|status|logs|restart`: the daemon as a launchd agent (macOS) or systemd user unit (Linux). */
import { STATE_DIR_ENV } from '../../config/state-dir.js';
import { defaultLogDir, followLogFile, readLogTail } from '../../daemon/log-file.js';
import { serviceLogPaths, type ServiceLogPaths } from '../../service/paths.js';
import { resolveServiceProgram, type ServiceSpec } from '../../service/program.js';
import {
  defaultServiceEnvironment,
  formatCommand,
  installService,
  restartService,
  serviceStatus,
  uninstallService,
  type ServiceEnvironment,
} from '../../service/service-manager.js';
import { UsageError } from '../args.js';
import type { CommandContext } from '../context.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { writeJson, writeLine } from '../io.js';

const SUBCOMMANDS = ['install', 'uninstall', 'status', 'logs', 'restart'] as const;
/** Lines `service logs` prints before following. */
const TAIL_LINES = 100;

export interface ServiceCommandOptions {
  /** @default the real machine (execa, process.platform, HOME, getuid) */
  readonly environment?: ServiceEnvironment;
  /** @default process.execPath */
  readonly execPath?: string;
  /** @default the real path of dist/cli/main.js */
  readonly cliPath?: string;
  /** Stops `logs --follow`. @default aborted by SIGINT */
  readonly signal?: AbortSignal;
}

export async function serviceCommand(context: CommandContext, options: ServiceCommandOptions = {}): Promise<ExitCodeValue> {
  const environment = options.environment ?? defaultServiceEnvironment(context.io.env);
  const logs = serviceLogPaths(defaultLogDir(context.config.stateDir));
  const sub = context.args.rest[0];
  switch (sub) {
    case 'install':
      return install(context, environment, logs, options);
    case 'uninstall':
      return uninstall(context, environment);
    case 'restart': {
      const command = await restartService(environment);
      return report(context, { ok: true, ran: [formatCommand(command)] }, [`Restarted: ${formatCommand(command)}`]);
    }
    case 'status':
      return status(context, environment, logs);
    case 'logs':
      return showLogs(context, environment, logs, options.signal);
    default:
      throw new UsageError(`service takes one of ${SUBCOMMANDS.join(', ')}${sub === undefined ? '' : ` (got "${sub}")`}`);
  }
}

async function install(context: CommandContext, environment: ServiceEnvironment, logs: ServiceLogPaths, options: ServiceCommandOptions): Promise<ExitCodeValue> {
  const { args, config, io } = context;
  // The service starts in the home folder with a bare environment: pin what this shell found on its own.
  const flags = {
    configFile: config.source,
    stateDir: args.stateDir !== null || io.env[STATE_DIR_ENV] ? config.stateDir : null,
    repos: args.repos.length > 0 || config.source === null ? config.repos : [],
  };
  const program = await resolveServiceProgram({ flags, pathEnv: io.env['PATH'], execPath: options.execPath, cliPath: options.cliPath });
  const spec: ServiceSpec = { program, home: environment.home, logs };
  const result = await installService(environment, spec, args.dryRun);
  const commands = result.commands.map(formatCommand);
  const ifNotLoaded = result.ifNotLoaded.map(formatCommand);
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

async function uninstall(context: CommandContext, environment: ServiceEnvironment): Promise<ExitCodeValue> {
  const result = await uninstallService(environment, context.args.dryRun);
  const commands = result.commands.map(formatCommand);
  const verb = result.dryRun ? 'Would run:' : 'Ran:';
  const fileLine = !result.existed ? `${result.file} does not exist.` : result.dryRun ? `Would remove ${result.file}` : `Removed ${result.file}`;
  return report(context, { ok: true, ...result, commands }, [...commandLines(verb, commands), fileLine]);
}

async function status(context: CommandContext, environment: ServiceEnvironment, logs: ServiceLogPaths): Promise<ExitCodeValue> {
  const result = await serviceStatus(environment);
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

async function showLogs(context: CommandContext, environment: ServiceEnvironment, logs: ServiceLogPaths, signal: AbortSignal | undefined): Promise<ExitCodeValue> {
  const { stdout, stderr } = context.io;
  const lines = await readLogTail(logs.daemonLog, TAIL_LINES).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (lines === null) {
    const elsewhere = environment.platform === 'darwin' ? `see ${logs.stderr}` : 'see journalctl --user -u ravi-orchestrator';
    writeLine(stderr, `No daemon log yet at ${logs.daemonLog} (has the daemon started? ${elsewhere})`);
    if (!context.args.follow) return ExitCode.FAILURE;
  }
  for (const line of lines ?? []) writeLine(stdout, line);
  if (!context.args.follow) return ExitCode.OK;
  await withSigint(signal, (abort) => followLogFile(logs.daemonLog, (text) => stdout.write(text), abort));
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

function report(context: CommandContext, json: object, lines: readonly string[]): ExitCodeValue {
  if (context.args.json) writeJson(context.io.stdout, json);
  else for (const line of lines) writeLine(context.io.stdout, line);
  return ExitCode.OK;
}
