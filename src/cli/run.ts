/** The CLI's one entry: parse, dispatch, and turn errors into stable exit codes and clear messages. */
import { createRequire } from 'node:module';
import { ConfigError } from '../util/errors.js';
import { LockTimeoutError } from '../files/state-lock.js';
import { parseCliArgs, UsageError, type CliArgs } from './args.js';
import { createCommandContext, type CommandContext } from './context.js';
import { ExitCode, type ExitCodeValue } from './exit-codes.js';
import { HELP } from './help.js';
import { writeJson, writeLine, type CliIo } from './io.js';
import { DaemonRunningError } from '../daemon/instance-lock.js';

type Command = (context: CommandContext) => Promise<ExitCodeValue>;

/**
 * Commands load on demand: an agent's `otp` or a setup script's `reconcile --worktree` should not pay
 * for the SMTP server, the MIME parser or the daemon at start-up (the benchmark measured ~265 ms of it).
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  plan: async () => (await import('./commands/plan.js')).planCommand,
  reconcile: async () => (await import('./commands/reconcile.js')).reconcileCommand,
  status: async () => (await import('./commands/status.js')).statusCommand,
  secrets: async () => (await import('./commands/secrets.js')).secretsCommand,
  service: async () => (await import('./commands/service.js')).serviceCommand,
  release: async () => (await import('./commands/release.js')).releaseCommand,
  whoami: async () => (await import('./commands/whoami.js')).whoamiCommand,
  inbox: async () => (await import('./commands/inbox.js')).inboxCommand,
  otp: async () => (await import('./commands/verification.js')).otpCommand,
  link: async () => (await import('./commands/verification.js')).linkCommand,
  env: async () => (await import('./commands/env.js')).envCommand,
  exec: async () => (await import('./commands/exec.js')).execCommand,
  ravi: async () => (await import('./commands/ravi.js')).raviCommand,
  disown: async () => (await import('./commands/disown.js')).disownCommand,
  mail: async () => (await import('./commands/mail.js')).mailCommand,
  sms: async () => (await import('./commands/mail.js')).smsCommand,
  dashboard: async () => (await import('./commands/dashboard.js')).dashboardCommand,
  mcp: async () => (await import('./commands/mcp.js')).mcpCommand,
};

export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCodeValue> {
  let args: CliArgs | null = null;
  try {
    args = parseCliArgs(argv);
    if (args.command === 'help') {
      io.stdout.write(HELP);
      return ExitCode.OK;
    }
    if (args.command === 'version') {
      writeLine(io.stdout, packageVersion());
      return ExitCode.OK;
    }
    if (args.command === 'daemon') return await (await import('./commands/daemon.js')).daemonCommand(args, io);
    // init writes the config, so it must not need a loadable one (init --force replaces a broken file).
    if (args.command === 'init') return await (await import('./commands/init.js')).runInitCommand(args, io);
    // hook: the worktree it works on exists only once the hook made it, so it builds its own context.
    if (args.command === 'hook') return await (await import('./commands/hook.js')).hookCommand(args, io);
    // history: --worktree may name a worktree that no longer exists, so it is a filter, not resolved.
    if (args.command === 'history') {
      const { historyCommand } = await import('./commands/history.js');
      return await historyCommand(await createCommandContext({ ...args, worktree: null }, io, { needsRepos: false }), args.worktree);
    }
    const load = COMMANDS[args.command];
    if (load === undefined) throw new UsageError(`Unknown command "${args.command}"`);
    const command = await load();
    // service status/logs/..., mail and sms only need the state dir, so they also run outside a git repo.
    const needsRepos = !((args.command === 'service' && args.rest[0] !== 'install') || args.command === 'mail' || args.command === 'sms');
    return await command(await createCommandContext(args, io, { needsRepos }));
  } catch (error) {
    return reportError(error, args?.json ?? argv.includes('--json'), io);
  }
}

function reportError(error: unknown, json: boolean, io: CliIo): ExitCodeValue {
  const exitCode = exitCodeFor(error);
  const err = error instanceof Error ? error : new Error(String(error));
  const hint = exitCode === ExitCode.USAGE ? '\nRun `ravi-orchestrator help` for usage.' : '';
  if (json) writeJson(io.stdout, { ok: false, error: { type: err.name, code: (err as { code?: unknown }).code ?? null, message: err.message }, exitCode });
  io.stderr.write(`ravi-orchestrator: ${err.message}${hint}\n`);
  return exitCode;
}

function exitCodeFor(error: unknown): ExitCodeValue {
  if (error instanceof UsageError) return ExitCode.USAGE;
  if (error instanceof ConfigError) return ExitCode.CONFIG;
  if (error instanceof LockTimeoutError || error instanceof DaemonRunningError) return ExitCode.LOCKED;
  return ExitCode.FAILURE;
}

function packageVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('../../package.json') as { version: string }).version;
}
