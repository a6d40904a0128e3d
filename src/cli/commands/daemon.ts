/**
 * `daemon`: the long-running controller in the foreground (what launchd and systemd run).
 * SIGTERM/SIGINT stop it cleanly (exit 0), SIGHUP reloads the config, an uncaught error is logged
 * and exits non-zero so the service manager restarts it (throttled by the manager).
 */
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { Daemon } from '../../daemon/daemon.js';
import { daemonOptionsFromEnv } from '../../daemon/options.js';
import { createLogFileStream } from '../../daemon/log-file.js';
import { LOG_REDACT_PATHS } from '../../util/logger.js';
import type { CliArgs } from '../args.js';
import { configLoaderFor } from '../context.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { writeLine, type CliIo } from '../io.js';

export async function daemonCommand(args: CliArgs, io: CliIo): Promise<ExitCodeValue> {
  const loader = await configLoaderFor(args, io);
  const initial = await loader.load();
  const options = daemonOptionsFromEnv(io.env);
  const logDir = join(initial.stateDir, 'logs');
  const logFile = await createLogFileStream(logDir);
  const level = args.logLevel === 'error' ? 'info' : args.logLevel; // the CLI default is quiet; a daemon logs what it does
  const logger = createDaemonLogger(level, logFile.stream, io.stderr);
  let daemon: Daemon;
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

function createDaemonLogger(level: pino.LevelWithSilent, file: NodeJS.WritableStream, stderr: NodeJS.WritableStream): Logger {
  const streams: pino.StreamEntry[] = [{ level: level === 'silent' ? 'fatal' : level, stream: file }];
  // Interactive runs also show logs on the terminal; under launchd/systemd stderr is a file we need not fill twice.
  if ((stderr as NodeJS.WriteStream).isTTY) streams.push({ level: level === 'silent' ? 'fatal' : level, stream: stderr });
  return pino({ level, base: { pid: process.pid }, redact: { paths: [...LOG_REDACT_PATHS], censor: '[redacted]' } }, pino.multistream(streams));
}
