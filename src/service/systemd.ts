/** Linux: the systemd user unit and the `systemctl --user` command plans. */
import { ServiceError, SYSTEMD_UNIT } from './paths.js';
import type { ServiceSpec } from './program.js';
import type { PlannedCommand, RunResult, ServiceBackend, ServiceRuntimeStatus } from './service-manager.js';

/** Restart a crashed daemon after 5 s; give up after 5 starts in 5 minutes (a crash loop, not a hiccup). */
export const RESTART_SEC = 5;
export const START_LIMIT_INTERVAL_SEC = 300;
export const START_LIMIT_BURST = 5;

const STATUS_PROPERTIES = ['LoadState', 'ActiveState', 'SubState', 'MainPID', 'ExecMainStatus', 'UnitFileState'];

export function systemdBackend(options: { readonly file: string }): ServiceBackend {
  const systemctl = (args: string[], extra: Partial<PlannedCommand> = {}): PlannedCommand => ({
    command: 'systemctl',
    args: ['--user', ...args],
    ...extra,
  });
  const reload = systemctl(['daemon-reload']);
  return {
    kind: 'systemd',
    name: SYSTEMD_UNIT,
    file: options.file,
    render: renderUnit,
    // `enable --now` leaves a running unit alone, so a changed unit needs an explicit restart to take effect.
    install: (state) =>
      state === 'new'
        ? [reload, systemctl(['enable', '--now', SYSTEMD_UNIT])]
        : [reload, systemctl(['enable', SYSTEMD_UNIT]), systemctl(['restart', SYSTEMD_UNIT])],
    probe: systemctl(['is-active', '--quiet', SYSTEMD_UNIT]),
    load: [systemctl(['enable', '--now', SYSTEMD_UNIT])],
    stop: [systemctl(['disable', '--now', SYSTEMD_UNIT], { ignoreFailure: true })], // fails when never enabled: fine
    afterRemove: [systemctl(['daemon-reload'], { ignoreFailure: true })],
    restart: systemctl(['restart', SYSTEMD_UNIT]),
    status: systemctl(['show', SYSTEMD_UNIT, `--property=${STATUS_PROPERTIES.join(',')}`]),
    parseStatus: parseSystemctlShow,
  };
}

/** The unit text. The daemon's stdout/stderr go to the journal; its pino log goes to our own rotated file. */
export function renderUnit(spec: ServiceSpec): string {
  const { program } = spec;
  const execStart = [quoteExecutable(program.node), ...[program.cli, ...program.args].map(quoteExecArgument)].join(' ');
  return [
    '# Written by `ravi-orchestrator service install`; edits are replaced on the next install.',
    '[Unit]',
    'Description=ravi-orchestrator daemon (one agent identity per git worktree)',
    `StartLimitIntervalSec=${START_LIMIT_INTERVAL_SEC}`,
    `StartLimitBurst=${START_LIMIT_BURST}`,
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${execStart}`,
    // on-failure: restart after a crash or a non-zero exit, never after a clean stop.
    'Restart=on-failure',
    `RestartSec=${RESTART_SEC}`,
    'WorkingDirectory=%h',
    `Environment=${quoteEnvironmentAssignment(`PATH=${program.path}`)}`,
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}

/**
 * One ExecStart argument, double-quoted per systemd.service(5): backslash and `"` escaped, `%` doubled (specifiers)
 * and `$` doubled (variable expansion). Newlines cannot be carried at all.
 */
export function quoteExecArgument(value: string): string {
  return `"${escapeCommon(value).replace(/\$/g, () => '$$')}"`;
}

/**
 * The executable word. systemd expands neither `$` nor `$$` there (checked with systemd-analyze verify, v252), and
 * refuses paths holding quotes, backslashes or control characters ("Executable name contains special characters").
 */
export function quoteExecutable(value: string): string {
  if (/["'\\\u0000-\u001f\u007f]/.test(value)) {
    throw new ServiceError(`systemd cannot run ${JSON.stringify(value)}: its path contains a quote, backslash or control character. Use a node installed under a plainer path`, {
      code: 'BAD_PATH',
    });
  }
  return `"${escapeCommon(value)}"`;
}

/** An `Environment=` assignment; `$` is not special there (systemd.exec(5)), `%` and quotes are. */
export function quoteEnvironmentAssignment(assignment: string): string {
  return `"${escapeCommon(assignment)}"`;
}

function escapeCommon(value: string): string {
  if (/[\n\r\u0000]/.test(value)) {
    throw new ServiceError(`Cannot put ${JSON.stringify(value)} in a systemd unit: it contains a newline or NUL`, { code: 'BAD_PATH' });
  }
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%');
}

/** Reads `systemctl --user show <unit> --property=...` (Key=Value lines). */
export function parseSystemctlShow(result: RunResult): ServiceRuntimeStatus {
  const values = new Map<string, string>();
  for (const line of result.stdout.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) values.set(line.slice(0, at), line.slice(at + 1).trim());
  }
  if (result.exitCode !== 0 || values.get('LoadState') !== 'loaded') {
    return { loaded: false, running: false, pid: null, lastExitCode: null };
  }
  const pid = Number(values.get('MainPID') ?? '0');
  const status = values.get('ExecMainStatus');
  return {
    loaded: true,
    running: values.get('ActiveState') === 'active',
    pid: Number.isInteger(pid) && pid > 0 ? pid : null,
    lastExitCode: status !== undefined && /^\d+$/.test(status) ? Number(status) : null,
  };
}
