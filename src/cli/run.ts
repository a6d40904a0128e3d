/** The CLI's one entry: parse, dispatch, and turn errors into stable exit codes and clear messages. */
import { ExitCode, type ExitCodeValue } from './exit-codes.js';
import { onClosedStdout, writeJson, type CliIo } from './io.js';
import { parseCommandLine } from './parse.js';
import { UsageError } from './usage-error.js';

export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCodeValue> {
  onClosedStdout(io, 'exit');
  const state = { json: argv.includes('--json') };
  try {
    return await runCommandLine(argv, io, state);
  } catch (error) {
    return reportError(error, state.json, io);
  }
}

/** Parse and run, errors thrown as they are (what tests of a command's handler call, in-process). */
export async function runCommandLine(argv: readonly string[], io: CliIo, state: { json: boolean } = { json: false }): Promise<ExitCodeValue> {
  const parsed = await parseCommandLine(argv);
  if (parsed.kind === 'help') {
    const { helpText } = await import('./help.js');
    io.stdout.write(await helpText(parsed.path, parsed.target));
    return ExitCode.OK;
  }
  state.json = parsed.flags['json'] === true;
  if (parsed.command.finishesWhenStdoutCloses) onClosedStdout(io, 'finish');
  return parsed.command.run({ path: parsed.path, flags: parsed.flags as never, positionals: parsed.positionals, io });
}

async function reportError(error: unknown, json: boolean, io: CliIo): Promise<ExitCodeValue> {
  const exitCode = await exitCodeFor(error);
  const err = error instanceof Error ? error : new Error(String(error));
  const hint = error instanceof UsageError ? `\nRun \`${['ravi-orchestrator', ...error.command].join(' ')} --help\` for usage.` : '';
  if (json) writeJson(io.stdout, { ok: false, error: { type: err.name, code: (err as { code?: unknown }).code ?? null, message: err.message }, exitCode });
  io.stderr.write(`ravi-orchestrator: ${err.message}${hint}\n`);
  return exitCode;
}

async function exitCodeFor(error: unknown): Promise<ExitCodeValue> {
  if (error instanceof UsageError) return ExitCode.USAGE;
  // Only on the error path: the lock modules load proper-lockfile, which `version` and `help` must not pay for.
  const [{ ConfigError }, { LockTimeoutError }, { DaemonRunningError }] = await Promise.all([
    import('../util/errors.js'),
    import('../files/state-lock.js'),
    import('../daemon/instance-lock.js'),
  ]);
  if (error instanceof ConfigError) return ExitCode.CONFIG;
  if (error instanceof LockTimeoutError || error instanceof DaemonRunningError) return ExitCode.LOCKED;
  return ExitCode.FAILURE;
}
