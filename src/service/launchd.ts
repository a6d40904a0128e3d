/** macOS: the LaunchAgent plist (laid out as Homebrew services writes them) and the launchctl command plans. */
import { LAUNCHD_LABEL, ServiceError } from './paths.js';
import type { ServiceSpec } from './program.js';
import type { PlannedCommand, RunResult, ServiceBackend, ServiceRuntimeStatus } from './service-manager.js';

/** Seconds launchd waits between restarts, so a daemon that crashes at start is throttled, not a busy loop. */
export const THROTTLE_INTERVAL_S = 10;

export function launchdBackend(options: { readonly uid: number; readonly file: string }): ServiceBackend {
  const domain = `gui/${options.uid}`;
  const target = `${domain}/${LAUNCHD_LABEL}`;
  const launchctl = (args: string[], extra: Partial<PlannedCommand> = {}): PlannedCommand => ({ command: 'launchctl', args, ...extra });
  const bootstrap = launchctl(['bootstrap', domain, options.file]);
  // bootout returns before the old job is fully gone; a bootstrap right after it can fail with EIO, so retry.
  const bootstrapAfterBootout = { ...bootstrap, retries: 3 };
  const bootout = launchctl(['bootout', target], { ignoreFailure: true }); // fails when it was not loaded: fine
  return {
    kind: 'launchd',
    name: LAUNCHD_LABEL,
    file: options.file,
    render: renderPlist,
    install: (state) => (state === 'new' ? [bootstrap] : [bootout, bootstrapAfterBootout]),
    probe: launchctl(['print', target]),
    load: [bootstrap],
    stop: [bootout],
    afterRemove: [],
    restart: launchctl(['kickstart', '-k', target]),
    status: launchctl(['print', target]),
    parseStatus: parseLaunchctlPrint,
  };
}

/**
 * The LaunchAgent as XML, keys in a fixed order so an unchanged install renders byte-identical text. plist is an
 * ES module that only `import` can load (no `require` entry): import()ed where it is used, the CLI program
 * (CommonJS, scripts/build-cli.mjs) loads it as one.
 */
export async function renderPlist(spec: ServiceSpec): Promise<string> {
  const { program, home, logs } = spec;
  for (const value of [program.node, program.cli, ...program.args, home, logs.stdout, logs.stderr, program.path]) {
    // XML 1.0 cannot carry most control characters at all; refuse rather than write a plist launchd rejects.
    if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(value)) {
      throw new ServiceError(`Cannot put ${JSON.stringify(value)} in a launchd plist: it contains a control character`, { code: 'BAD_PATH' });
    }
  }
  const { build } = await import('plist');
  return build({
    Label: LAUNCHD_LABEL,
    ProgramArguments: [program.node, program.cli, ...program.args],
    RunAtLoad: true,
    // Restart after a crash, but not after a clean exit (e.g. `service uninstall` or a deliberate stop).
    KeepAlive: { SuccessfulExit: false },
    ThrottleInterval: THROTTLE_INTERVAL_S,
    ProcessType: 'Background',
    WorkingDirectory: home,
    StandardOutPath: logs.stdout,
    StandardErrorPath: logs.stderr,
    EnvironmentVariables: { PATH: program.path },
  });
}

/** Reads `launchctl print gui/<uid>/<label>`: exit 0 means loaded; the job's own keys sit one tab deep. */
export function parseLaunchctlPrint(result: RunResult): ServiceRuntimeStatus {
  if (result.exitCode !== 0) return { loaded: false, running: false, pid: null, lastExitCode: null };
  const field = (key: string): string | null => new RegExp(`^\\t${key} = (.*)$`, 'm').exec(result.stdout)?.[1]?.trim() ?? null;
  const pid = integerOrNull(field('pid'));
  return {
    loaded: true,
    running: field('state') === 'running',
    pid: pid !== null && pid > 0 ? pid : null,
    lastExitCode: integerOrNull(field('last exit code')), // "(never exited)" gives null
  };
}

function integerOrNull(text: string | null): number | null {
  return text !== null && /^-?\d+$/.test(text) ? Number(text) : null;
}
