/** The CLI's one entry: parse, dispatch, and turn errors into stable exit codes and clear messages. */
import { createRequire } from 'node:module';
import { ConfigError } from '../util/errors.js';
import { LockTimeoutError } from '../files/state-lock.js';
import { parseCliArgs, UsageError, type CliArgs } from './args.js';
import { createCommandContext, type CommandContext } from './context.js';
import { ExitCode, type ExitCodeValue } from './exit-codes.js';
import { HELP } from './help.js';
import { writeJson, writeLine, type CliIo } from './io.js';
import { planCommand } from './commands/plan.js';
import { reconcileCommand } from './commands/reconcile.js';
import { statusCommand } from './commands/status.js';
import { secretsCommand } from './commands/secrets.js';
import { daemonCommand } from './commands/daemon.js';
import { serviceCommand } from './commands/service.js';
import { runInitCommand } from './commands/init.js';
import { releaseCommand } from './commands/release.js';
import { whoamiCommand } from './commands/whoami.js';
import { inboxCommand } from './commands/inbox.js';
import { otpCommand, linkCommand } from './commands/verification.js';
import { envCommand } from './commands/env.js';
import { execCommand } from './commands/exec.js';
import { mailCommand, smsCommand } from './commands/mail.js';
import { historyCommand } from './commands/history.js';
import { DaemonRunningError } from '../daemon/instance-lock.js';

const COMMANDS: Record<string, (context: CommandContext) => Promise<ExitCodeValue>> = {
  plan: planCommand,
  reconcile: reconcileCommand,
  status: statusCommand,
  secrets: secretsCommand,
  service: serviceCommand,
  release: releaseCommand,
  whoami: whoamiCommand,
  inbox: inboxCommand,
  otp: otpCommand,
  link: linkCommand,
  env: envCommand,
  exec: execCommand,
  mail: mailCommand,
  sms: smsCommand,
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
    if (args.command === 'daemon') return await daemonCommand(args, io);
    // init writes the config, so it must not need a loadable one (init --force replaces a broken file).
    if (args.command === 'init') return await runInitCommand(args, io);
    // history: --worktree may name a worktree that no longer exists, so it is a filter, not resolved.
    if (args.command === 'history') return await historyCommand(await createCommandContext({ ...args, worktree: null }, io, { needsRepos: false }), args.worktree);
    const command = COMMANDS[args.command];
    if (command === undefined) throw new UsageError(`Unknown command "${args.command}"`);
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
