/**
 * `daemon`: the long-running controller in the foreground (what launchd and systemd run).
 * SIGTERM/SIGINT stop it cleanly (exit 0), SIGHUP reloads the config, an uncaught error is logged
 * and exits non-zero so the service manager restarts it (throttled by the manager).
 */
import { join } from 'node:path';
import type { Logger, LevelWithSilent, StreamEntry } from 'pino';
import { defineCommand, type CommandInput } from '../command.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { writeLine, type Output } from '../io.js';
import { FLEET_FLAGS } from '../shared-flags.js';

const FLAGS = { ...FLEET_FLAGS };

export default defineCommand({
  summary: 'run the controller in the foreground: watch, queue, resync (what the service runs)',
  description:
    'The long-running controller in the foreground (what launchd and systemd run): watches each repo, its worktrees\' env ' +
    'files and the config, reconciles on every change and resyncs every 5 minutes. SIGTERM/SIGINT stop it cleanly (exit ' +
    '0), SIGHUP reloads the config; an uncaught error exits non-zero so the service manager restarts it. Exit 75 when ' +
    'another daemon already runs for this state dir.',
  flags: FLAGS,
  finishesWhenStdoutCloses: true,
  run: daemonCommand,
});

async function daemonCommand(input: CommandInput<typeof FLAGS>): Promise<ExitCodeValue> {
  // First, before the daemon's modules load and its passes run (optimizing-compilers.ts, heap.ts).
  const [{ runWithoutOptimizingCompilers }, { keepYoungGenerationSmall }] = await Promise.all([import('../../util/optimizing-compilers.js'), import('../../daemon/heap.js')]);
  runWithoutOptimizingCompilers();
  keepYoungGenerationSmall();
  const [{ configLoaderFor }, { Daemon }, { daemonOptionsFromEnv }, { createLogFileStream }] = await Promise.all([
    import('../context.js'),
    import('../../daemon/daemon.js'),
    import('../../daemon/options.js'),
    import('../../daemon/log-file.js'),
  ]);
  const { io, flags } = input;
  const loader = await configLoaderFor(input);
  const initial = await loader.load();
  const options = daemonOptionsFromEnv(io.env);
  const logDir = join(initial.stateDir, 'logs');
  const logFile = await createLogFileStream(logDir);
  const level = flags.logLevel === 'error' ? 'info' : flags.logLevel; // the CLI default is quiet; a daemon logs what it does
  const logger = await createDaemonLogger(level, logFile.stream, io.stderr);
  let daemon: Awaited<ReturnType<typeof Daemon.start>>;
  try {
    daemon = await Daemon.start({ loadConfig: loader.load, logger, options, logFile: logFile.path });
  } catch (error) {
    logger.error({ err: error }, 'daemon failed to start');
    await logFile.close();
    throw error;
  }
  writeLine(io.stdout, `ravi-orchestrator daemon: pid ${process.pid}, ${daemon.config.repos.length} repo(s), logs in ${logFile.path}`);

  let exitCode: ExitCodeValue = ExitCode.OK;
  const stop = (reason: string, code: ExitCodeValue) => {
    exitCode = code;
    // Backstop: a stuck provider call must not keep a stopped daemon alive.
    setTimeout(() => process.exit(code), options.shutdownTimeoutMs).unref();
    return daemon.stop(reason);
  };
  const onSignal = (signal: NodeJS.Signals) => void stop(signal, ExitCode.OK);
  const onHup = () => void daemon.reload('SIGHUP');
  const onFatal = (error: unknown) => {
    logger.fatal({ err: error }, 'uncaught error; exiting so the service manager restarts the daemon');
    void stop('uncaught error', ExitCode.FAILURE);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('SIGHUP', onHup);
  process.on('uncaughtException', onFatal);
  process.on('unhandledRejection', onFatal);
  await new Promise<void>((resolve) => {
    const wait = setInterval(() => {}, 1 << 30); // keeps the event loop alive even when nothing is watched
    void daemon.stopped().then(() => {
      clearInterval(wait);
      resolve();
    });
  });
  process.off('SIGHUP', onHup);
  await logFile.close();
  return exitCode;
}

async function createDaemonLogger(level: LevelWithSilent, file: NodeJS.WritableStream, stderr: Output): Promise<Logger> {
  const [{ pino }, { LOG_REDACT_PATHS }] = await Promise.all([import('pino'), import('../../util/logger.js')]);
  const streams: StreamEntry[] = [{ level: level === 'silent' ? 'fatal' : level, stream: file }];
  // Interactive runs also show logs on the terminal; under launchd/systemd stderr is a file we need not fill twice.
  if (stderr.isTTY === true) streams.push({ level: level === 'silent' ? 'fatal' : level, stream: stderr });
  return pino({ level, base: { pid: process.pid }, redact: { paths: [...LOG_REDACT_PATHS], censor: '[redacted]' } }, pino.multistream(streams));
}
