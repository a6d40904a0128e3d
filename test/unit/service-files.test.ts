import { chmod, mkdir, mkdtemp, readdir, readFile, realpath, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { parse } from 'plist';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/cli/parse.js';
import { serviceCommand, type ServiceContext, type Verb } from '../../src/cli/commands/service.js';
import type { Config } from '../../src/config/types.js';
import type { Provider } from '../../src/providers/types.js';
import { renderPlist, THROTTLE_INTERVAL_S } from '../../src/service/launchd.js';
import { LAUNCHD_LABEL, serviceLogPaths, SYSTEMD_UNIT } from '../../src/service/paths.js';
import { daemonArguments, defaultCliPath, findExecutable, servicePathValue, type ServiceSpec } from '../../src/service/program.js';
import {
  installService,
  restartService,
  serviceStatus,
  uninstallService,
  type RunResult,
  type ServiceEnvironment,
} from '../../src/service/service-manager.js';
import { quoteExecutable, renderUnit } from '../../src/service/systemd.js';

/** Real systemd-analyze when installed (it is at /usr/bin/systemd-analyze on the dev container). */
const analyze = await findExecutable('systemd-analyze', [...(process.env['PATH'] ?? '').split(':'), '/usr/bin', '/bin']);

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'ravi-service-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A folder on PATH holding an executable `git`, with a space and non-ASCII in its name. */
async function gitFolder(): Promise<string> {
  const folder = path.join(root, 'tools ü', 'bin');
  await mkdir(folder, { recursive: true });
  await writeFile(path.join(folder, 'git'), '#!/bin/sh\n', { mode: 0o755 });
  return folder;
}

async function makeSpec(home: string, overrides: Partial<ServiceSpec['program']> = {}): Promise<ServiceSpec> {
  const args = daemonArguments({ configFile: `${home}/cfg & <x>.ts`, stateDir: `${home}/state dir`, repos: [`${home}/code/répo`] });
  const program = {
    node: '/opt/nöde 20/bin/node',
    cli: `${home}/my tools/ravi-orchestrator/dist/cli/main.js`,
    args,
    path: await servicePathValue(['.', await gitFolder(), '/usr/bin', '', 'relative/bin'].join(path.delimiter)),
    ...overrides,
  };
  return { program, home, logs: serviceLogPaths(`${home}/state dir/logs`) };
}

describe('service PATH', () => {
  it('keeps absolute install-time entries, adds git’s folder and the fallbacks, dedupes, drops relative entries', async () => {
    const git = await gitFolder();
    const value = await servicePathValue(['.', git, '/usr/bin', '', 'relative/bin', git].join(':'));
    expect(value.split(':')).toEqual([git, '/usr/bin', '/bin', '/usr/local/bin', '/opt/homebrew/bin']);
    expect(await findExecutable('git', [git])).toBe(path.join(git, 'git'));
  });
});

describe('service program', () => {
  it('is the package bin, by its real path (it sets the daemon\'s V8 flags before the program loads), and runs the daemon command', async () => {
    const cli = await defaultCliPath();
    expect(cli).toBe(await realpath(new URL('../../bin/ravi-orchestrator.cjs', import.meta.url)));
    const help = await execa(process.execPath, [cli, ...daemonArguments({ configFile: null, stateDir: null, repos: [] }), '--help'], { reject: false });
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toMatch(/^Usage: ravi-orchestrator daemon/);
  });
});

describe('launchd plist', () => {
  it('round-trips through a real plist parser with every key, for paths with spaces, markup characters and non-ASCII', async () => {
    const home = '/Users/Zoë Smith 家';
    const spec = await makeSpec(home);
    const parsed = parse(await renderPlist(spec)) as Record<string, unknown>;
    expect(Object.keys(parsed).sort()).toEqual(
      ['EnvironmentVariables', 'KeepAlive', 'Label', 'ProcessType', 'ProgramArguments', 'RunAtLoad', 'StandardErrorPath', 'StandardOutPath', 'ThrottleInterval', 'WorkingDirectory'].sort(),
    );
    expect(parsed['Label']).toBe(LAUNCHD_LABEL);
    expect(parsed['ProgramArguments']).toEqual([
      '/opt/nöde 20/bin/node',
      `${home}/my tools/ravi-orchestrator/dist/cli/main.js`,
      'daemon',
      '--config',
      `${home}/cfg & <x>.ts`,
      '--state-dir',
      `${home}/state dir`,
      '--repo',
      `${home}/code/répo`,
    ]);
    for (const arg of (parsed['ProgramArguments'] as string[]).slice(0, 2)) expect(path.isAbsolute(arg)).toBe(true);
    expect(parsed['RunAtLoad']).toBe(true);
    expect(parsed['KeepAlive']).toEqual({ SuccessfulExit: false });
    expect(parsed['ThrottleInterval']).toBe(THROTTLE_INTERVAL_S);
    expect(parsed['ProcessType']).toBe('Background');
    expect(parsed['WorkingDirectory']).toBe(home);
    expect(parsed['StandardOutPath']).toBe(`${home}/state dir/logs/service.stdout.log`);
    expect(parsed['StandardErrorPath']).toBe(`${home}/state dir/logs/service.stderr.log`);
    const pathEntries = ((parsed['EnvironmentVariables'] as { PATH: string }).PATH).split(':');
    expect(pathEntries).toContain(await gitFolder());
    expect(pathEntries).toEqual(expect.arrayContaining(['/usr/bin', '/bin', '/usr/local/bin', '/opt/homebrew/bin']));
  });
});

describe('systemd unit', () => {
  it('renders the keys with every word quoted, `%` and `$` escaped', async () => {
    const spec = await makeSpec('/home/zoë', { cli: '/home/zoë/a "q" 100% $HOME \\ b/main.js' });
    const unit = renderUnit(spec);
    const execStart = unit.split('\n').find((l) => l.startsWith('ExecStart='));
    expect(execStart).toBe(
      'ExecStart="/opt/nöde 20/bin/node" "/home/zoë/a \\"q\\" 100%% $$HOME \\\\ b/main.js" "daemon" "--config" "/home/zoë/cfg & <x>.ts" ' +
        '"--state-dir" "/home/zoë/state dir" "--repo" "/home/zoë/code/répo"',
    );
    for (const line of ['Restart=on-failure', 'RestartSec=5', 'WorkingDirectory=%h', 'WantedBy=default.target', 'StartLimitBurst=5', 'StartLimitIntervalSec=300']) {
      expect(unit.split('\n')).toContain(line);
    }
    expect(unit).toMatch(/^Environment="PATH=[^"\n]*\/usr\/bin:\/bin:\/usr\/local\/bin:\/opt\/homebrew\/bin"$/m);
    // StartLimit* belong in [Unit] (systemd ignores them in [Service] since v230).
    expect(unit.indexOf('StartLimitBurst')).toBeLessThan(unit.indexOf('[Service]'));
  });

  it('refuses an executable path systemd would reject', () => {
    expect(() => quoteExecutable('/opt/no"de/node')).toThrow(/quote, backslash or control character/);
    expect(quoteExecutable('/opt/100% $x/node')).toBe('"/opt/100%% $x/node"');
  });

  it.skipIf(analyze === null)('passes systemd-analyze verify (skipped when systemd-analyze is not installed)', async () => {
    // The executable must exist for verify: a symlink to the real node, in a folder with a space, non-ASCII, % and $.
    const nodeDir = path.join(root, 'node dir ü 100% $x');
    await mkdir(nodeDir);
    await symlink(process.execPath, path.join(nodeDir, 'node'));
    const spec = await makeSpec(path.join(root, 'home ü'), { node: path.join(nodeDir, 'node'), cli: `${root}/cli "q" 100% $HOME \\ b/main.js` });
    const unitDir = path.join(root, 'config', 'systemd', 'user');
    await mkdir(unitDir, { recursive: true });
    const unitFile = path.join(unitDir, SYSTEMD_UNIT);
    await writeFile(unitFile, renderUnit(spec));
    // A user manager needs XDG_RUNTIME_DIR; containers often have none, so give it a private one.
    const runtimeDir = path.join(root, 'runtime');
    await mkdir(runtimeDir, { mode: 0o700 });
    const env = { XDG_RUNTIME_DIR: process.env['XDG_RUNTIME_DIR'] ?? runtimeDir };
    let result = await execa(analyze!, ['verify', '--user', unitFile], { reject: false, env, all: true });
    if (/Failed to initialize manager|RuntimeDirectory/.test(result.all ?? '')) {
      result = await execa(analyze!, ['verify', unitFile], { reject: false, all: true });
    }
    const aboutOurUnit = (result.all ?? '').split('\n').filter((l) => l.includes('ravi-orchestrator'));
    expect(aboutOurUnit).toEqual([]);
    expect(result.exitCode).toBe(0);
  });
});

/**
 * Stands in for launchctl and systemctl. Not a mock of something that could run here: launchctl does not exist on
 * Linux, and systemctl --user needs a user manager this container does not have. Answers follow their man pages.
 */
function recorder(answer: (line: string) => Partial<RunResult> = () => ({})) {
  const calls: string[] = [];
  const run = async (command: string, args: readonly string[]): Promise<RunResult> => {
    const line = [command, ...args].join(' ');
    calls.push(line);
    return { exitCode: 0, stdout: '', stderr: '', ...answer(line) };
  };
  return { calls, run };
}

const snapshot = async (file: string) => {
  const s = await stat(file);
  return { mtimeMs: s.mtimeMs, ino: s.ino };
};

describe('install / uninstall / restart / status on macOS (launchctl)', () => {
  const uid = 501;
  const target = `gui/${uid}/${LAUNCHD_LABEL}`;
  const environment = (home: string, run: ServiceEnvironment['run']): ServiceEnvironment => ({
    platform: 'darwin', home, uid, env: {}, run, sleep: async () => {},
  });

  it('dry run writes nothing and runs nothing', async () => {
    const home = path.join(root, 'home ü');
    await mkdir(home);
    const fake = recorder();
    const result = await installService(environment(home, fake.run), await makeSpec(home), true);
    expect(result.fileState).toBe('new');
    expect(result.commands.map((c) => [c.command, ...c.args].join(' '))).toEqual([`launchctl bootstrap gui/${uid} ${result.file}`]);
    expect(fake.calls).toEqual([]);
    expect(await readdir(home)).toEqual([]);
  });

  it('installs 0644 atomically, is idempotent, reloads a changed file, and uninstalls', async () => {
    const home = path.join(root, 'home ü');
    const file = path.join(home, 'Library', 'LaunchAgents', `${LAUNCHD_LABEL}.plist`);
    const fake = recorder((line) => (line.includes('bootout') ? { exitCode: 3, stderr: 'Boot-out failed: 3: No such process' } : {}));
    const env = environment(home, fake.run);
    const spec = await makeSpec(home);

    await installService(env, spec, false);
    expect(fake.calls).toEqual([`launchctl bootstrap gui/${uid} ${file}`]);
    expect((await stat(file)).mode & 0o777).toBe(0o644);
    expect((await stat(spec.logs.logDir)).mode & 0o777).toBe(0o700);
    expect(parse(await readFile(file, 'utf8'))).toMatchObject({ Label: LAUNCHD_LABEL });

    const before = await snapshot(file);
    fake.calls.length = 0;
    const again = await installService(env, spec, false);
    expect(again.fileState).toBe('unchanged');
    expect(fake.calls).toEqual([`launchctl print ${target}`]); // a probe, no second bootstrap
    expect(await snapshot(file)).toEqual(before);

    fake.calls.length = 0;
    await installService(env, { ...spec, program: { ...spec.program, args: ['daemon'] } }, false);
    expect(fake.calls).toEqual([`launchctl bootout ${target}`, `launchctl bootstrap gui/${uid} ${file}`]);

    fake.calls.length = 0;
    await restartService(env);
    expect(fake.calls).toEqual([`launchctl kickstart -k ${target}`]);

    fake.calls.length = 0;
    await uninstallService(env, false);
    expect(fake.calls).toEqual([`launchctl bootout ${target}`]);
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(restartService(env)).rejects.toMatchObject({ code: 'NOT_INSTALLED' });
  });

  it('bootstraps an unchanged file that is not loaded, and retries a bootstrap racing a bootout', async () => {
    const home = path.join(root, 'home');
    const file = path.join(home, 'Library', 'LaunchAgents', `${LAUNCHD_LABEL}.plist`);
    const spec = await makeSpec(home);
    await installService(environment(home, recorder().run), spec, false);
    const notLoaded = recorder((line) => (line.includes(' print ') ? { exitCode: 113, stderr: 'Could not find service' } : {}));
    await installService(environment(home, notLoaded.run), spec, false);
    expect(notLoaded.calls).toEqual([`launchctl print ${target}`, `launchctl bootstrap gui/${uid} ${file}`]);

    let failures = 1;
    const racing = recorder((line) => (line.includes('bootstrap') && failures-- > 0 ? { exitCode: 5, stderr: 'Bootstrap failed: 5: Input/output error' } : {}));
    await installService(environment(home, racing.run), { ...spec, home: '/elsewhere' }, false);
    expect(racing.calls).toEqual([`launchctl bootout ${target}`, `launchctl bootstrap gui/${uid} ${file}`, `launchctl bootstrap gui/${uid} ${file}`]);
  });

  it('names the failed command and its output; refuses to run as root', async () => {
    const home = path.join(root, 'home');
    const failing = recorder(() => ({ exitCode: 5, stderr: 'Bootstrap failed: 5: Input/output error' }));
    await expect(installService(environment(home, failing.run), await makeSpec(home), false)).rejects.toThrow(
      /`launchctl bootstrap gui\/501 .*\.plist` failed \(exit 5\): Bootstrap failed: 5: Input\/output error/,
    );
    await expect(installService({ ...environment(home, failing.run), uid: 0 }, await makeSpec(home), false)).rejects.toMatchObject({ code: 'RUNNING_AS_ROOT' });
  });

  it('status reads launchctl print', async () => {
    const home = path.join(root, 'home');
    const printed = recorder(() => ({ stdout: `${target} = {\n\tactive count = 1\n\tstate = running\n\tpid = 4242\n\tlast exit code = (never exited)\n\tendpoints = {\n\t\tstate = active\n\t}\n}\n` }));
    expect(await serviceStatus(environment(home, printed.run))).toMatchObject({ installed: false, loaded: true, running: true, pid: 4242, lastExitCode: null });
    expect(printed.calls).toEqual([`launchctl print ${target}`]);
    const missing = recorder(() => ({ exitCode: 113 }));
    expect(await serviceStatus(environment(home, missing.run))).toMatchObject({ loaded: false, running: false, pid: null });
  });
});

describe('install / uninstall / restart / status on Linux (systemctl --user)', () => {
  const environment = (home: string, run: ServiceEnvironment['run'], env: NodeJS.ProcessEnv = {}): ServiceEnvironment => ({ platform: 'linux', home, uid: 1000, env, run });

  it('writes the unit under $XDG_CONFIG_HOME (else ~/.config), enables it once, restarts it when it changes', async () => {
    const home = path.join(root, 'home');
    const xdg = path.join(root, 'xdg config');
    const unitFile = path.join(xdg, 'systemd', 'user', SYSTEMD_UNIT);
    const fake = recorder();
    const env = environment(home, fake.run, { XDG_CONFIG_HOME: xdg });
    const spec = await makeSpec(home);

    const dry = await installService(env, spec, true);
    expect(dry.file).toBe(unitFile);
    expect(fake.calls).toEqual([]);
    await expect(stat(unitFile)).rejects.toMatchObject({ code: 'ENOENT' });

    await installService(env, spec, false);
    expect(fake.calls).toEqual(['systemctl --user daemon-reload', `systemctl --user enable --now ${SYSTEMD_UNIT}`]);
    expect((await stat(unitFile)).mode & 0o777).toBe(0o644);

    const before = await snapshot(unitFile);
    fake.calls.length = 0;
    await installService(env, spec, false);
    expect(fake.calls).toEqual([`systemctl --user is-active --quiet ${SYSTEMD_UNIT}`]);
    expect(await snapshot(unitFile)).toEqual(before);

    fake.calls.length = 0;
    await installService(env, { ...spec, home: '/x' , program: { ...spec.program, args: ['daemon'] } }, false);
    expect(fake.calls).toEqual(['systemctl --user daemon-reload', `systemctl --user enable ${SYSTEMD_UNIT}`, `systemctl --user restart ${SYSTEMD_UNIT}`]);

    fake.calls.length = 0;
    await restartService(env);
    await uninstallService(env, false);
    expect(fake.calls).toEqual([`systemctl --user restart ${SYSTEMD_UNIT}`, `systemctl --user disable --now ${SYSTEMD_UNIT}`, 'systemctl --user daemon-reload']);
    await expect(stat(unitFile)).rejects.toMatchObject({ code: 'ENOENT' });

    const relative = await installService(environment(home, fake.run, { XDG_CONFIG_HOME: 'relative' }), spec, true);
    expect(relative.file).toBe(path.join(home, '.config', 'systemd', 'user', SYSTEMD_UNIT));
  });

  it('status reads systemctl show', async () => {
    const fake = recorder(() => ({ stdout: 'LoadState=loaded\nActiveState=failed\nSubState=failed\nMainPID=0\nExecMainStatus=1\nUnitFileState=enabled\n' }));
    expect(await serviceStatus(environment(root, fake.run))).toMatchObject({ manager: 'systemd', loaded: true, running: false, pid: null, lastExitCode: 1 });
    expect(fake.calls).toEqual([`systemctl --user show ${SYSTEMD_UNIT} --property=LoadState,ActiveState,SubState,MainPID,ExecMainStatus,UnitFileState`]);
  });

  it('says plainly that other platforms have no service support', async () => {
    await expect(serviceStatus({ ...environment(root, recorder().run), platform: 'win32' })).rejects.toMatchObject({ code: 'UNSUPPORTED_PLATFORM' });
  });
});

describe('ravi-orchestrator service (command)', () => {
  function context(verb: Verb, flags: { dryRun?: boolean; json?: boolean }, home: string) {
    let out = '';
    const stream = { write: (chunk: string) => ((out += chunk), true) } as unknown as NodeJS.WritableStream;
    const config = { stateDir: `${home}/state`, source: `${home}/ravi-orchestrator.config.ts`, repos: [] } as unknown as Config;
    const value: ServiceContext = {
      path: ['service', verb], positionals: [], flags: { stateDir: `${home}/state`, logLevel: 'silent', repo: [], ...flags },
      config, logger: pino({ level: 'silent' }), provider: {} as Provider, worktree: null,
      io: { stdout: stream, stderr: stream, cwd: home, env: { PATH: '/usr/bin' }, readStdin: async () => '', readSecret: async () => null },
    };
    return { value, output: () => out };
  }

  it('install --dry-run prints the file and the commands, and touches nothing', async () => {
    const home = path.join(root, 'home');
    await mkdir(home);
    const fake = recorder();
    const { value, output } = context('install', { dryRun: true }, home);
    const environment: ServiceEnvironment = { platform: 'darwin', home, uid: 501, env: {}, run: fake.run };
    const code = await serviceCommand('install', value, { environment, execPath: '/usr/bin/node', cliPath: '/opt/r o/dist/cli/main.js' });
    expect(code).toBe(0);
    expect(output()).toContain(`Would write ${home}/Library/LaunchAgents/${LAUNCHD_LABEL}.plist (mode 0644):`);
    expect(output()).toContain(`<string>${home}/ravi-orchestrator.config.ts</string>`);
    expect(output()).toContain(`Would run:\n  launchctl bootstrap gui/501 ${home}/Library/LaunchAgents/${LAUNCHD_LABEL}.plist\n`);
    expect(fake.calls).toEqual([]);
    expect(await readdir(home)).toEqual([]);
  });

  it('status --json reports the service state and log file', async () => {
    const { value, output } = context('status', { json: true }, root);
    const environment: ServiceEnvironment = { platform: 'linux', home: root, uid: 1000, env: {}, run: recorder(() => ({ stdout: 'LoadState=loaded\nActiveState=active\nMainPID=77\n' })).run };
    expect(await serviceCommand('status', value, { environment })).toBe(0);
    expect(JSON.parse(output())).toMatchObject({ manager: 'systemd', running: true, pid: 77, logFile: `${root}/state/logs/daemon.log` });
  });

  it('logs prints the tail of the daemon log; an unknown subcommand is a usage error', async () => {
    await mkdir(path.join(root, 'state', 'logs'), { recursive: true });
    await writeFile(path.join(root, 'state', 'logs', 'daemon.log'), '{"msg":"one"}\n{"msg":"two"}\n');
    await chmod(path.join(root, 'state', 'logs', 'daemon.log'), 0o600);
    const { value, output } = context('logs', {}, root);
    const environment: ServiceEnvironment = { platform: 'linux', home: root, uid: 1000, env: {}, run: recorder().run };
    expect(await serviceCommand('logs', value, { environment })).toBe(0);
    expect(output()).toBe('{"msg":"one"}\n{"msg":"two"}\n');
    await expect(parseCommandLine(['service', 'start'])).rejects.toMatchObject({ name: 'UsageError', message: expect.stringMatching(/did you mean service restart\?/) });
  });
});
