/** Where the service files live per platform, what the service is called, and the error every service step throws. */
import path from 'node:path';

/** launchd label (reverse DNS, as Homebrew services names its agents). */
export const LAUNCHD_LABEL = 'dev.ravi-orchestrator.daemon';
/** systemd user unit name. */
export const SYSTEMD_UNIT = 'ravi-orchestrator.service';

export type ServiceManagerKind = 'launchd' | 'systemd';

/** launchd on macOS, systemd elsewhere on Linux; null where we have no service manager to talk to. */
export function serviceManagerFor(platform: NodeJS.Platform): ServiceManagerKind | null {
  if (platform === 'darwin') return 'launchd';
  if (platform === 'linux') return 'systemd';
  return null;
}

/** The file `service install` writes: `~/Library/LaunchAgents/<label>.plist` or the systemd user unit. */
export function serviceFilePath(kind: ServiceManagerKind, home: string, env: NodeJS.ProcessEnv): string {
  if (kind === 'launchd') return path.posix.join(home, 'Library', 'LaunchAgents', `${LAUNCHD_LABEL}.plist`);
  // The XDG spec says relative values are invalid and must be ignored (systemd does the same).
  const xdgConfig = env['XDG_CONFIG_HOME'];
  const configHome = xdgConfig && path.posix.isAbsolute(xdgConfig) ? xdgConfig : path.posix.join(home, '.config');
  return path.posix.join(configHome, 'systemd', 'user', SYSTEMD_UNIT);
}

export interface ServiceLogPaths {
  readonly logDir: string;
  /** The daemon's own pino log (rotated by the daemon, see src/daemon/log-file.ts). */
  readonly daemonLog: string;
  /**
   * Where launchd sends the process's raw stdout/stderr (crashes before the logger exists). Separate from
   * daemon.log because launchd keeps its file descriptor open across our rotations.
   */
  readonly stdout: string;
  readonly stderr: string;
}

export function serviceLogPaths(logDir: string): ServiceLogPaths {
  return {
    logDir,
    daemonLog: path.join(logDir, 'daemon.log'),
    stdout: path.join(logDir, 'service.stdout.log'),
    stderr: path.join(logDir, 'service.stderr.log'),
  };
}

export type ServiceErrorCode =
  | 'UNSUPPORTED_PLATFORM'
  | 'NOT_BUILT' // the bin or the program it loads (dist-cli/cli/main.js) is missing
  | 'NOT_INSTALLED'
  | 'RUNNING_AS_ROOT'
  | 'BAD_PATH' // a path systemd or launchd cannot carry (newline, NUL)
  | 'COMMAND_FAILED';

/** A service step failed; names the file or the command line, its exit code and what it printed. */
export class ServiceError extends Error {
  override readonly name: string = 'ServiceError';
  readonly code: ServiceErrorCode;
  constructor(message: string, details: { code: ServiceErrorCode; cause?: unknown }) {
    super(message, { cause: details.cause });
    this.code = details.code;
  }
}
