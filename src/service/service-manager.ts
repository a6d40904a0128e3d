/**
 * install / uninstall / restart / status of the daemon as a launchd agent (macOS) or systemd user unit (Linux).
 * Every external command goes through the injected `run` (execa, argv only, never a shell), so tests drive
 * both platforms' plans on any machine.
 */
import { access, mkdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import { execa } from 'execa';
import { writeFileAtomically } from '../files/atomic-write.js';
import { launchdBackend } from './launchd.js';
import { ServiceError, serviceFilePath, serviceManagerFor, type ServiceManagerKind } from './paths.js';
import type { ServiceSpec } from './program.js';
import { systemdBackend } from './systemd.js';

export interface RunResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}
export type RunCommand = (command: string, args: readonly string[]) => Promise<RunResult>;

export interface ServiceEnvironment {
  readonly platform: NodeJS.Platform;
  readonly home: string;
  readonly uid: number;
  readonly env: NodeJS.ProcessEnv;
  readonly run: RunCommand;
  /** Pause before a retry. @default a timer */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface PlannedCommand {
  readonly command: string;
  readonly args: readonly string[];
  /** The command may fail harmlessly (stopping a service that was not loaded). */
  readonly ignoreFailure?: boolean;
  /** Extra attempts, one second apart. */
  readonly retries?: number;
}

export interface ServiceRuntimeStatus {
  readonly loaded: boolean;
  readonly running: boolean;
  readonly pid: number | null;
  readonly lastExitCode: number | null;
}

/** One service manager's file and command plans (src/service/launchd.ts, src/service/systemd.ts). */
export interface ServiceBackend {
  readonly kind: ServiceManagerKind;
  /** launchd label or systemd unit name. */
  readonly name: string;
  readonly file: string;
  render(spec: ServiceSpec): string | Promise<string>;
  /** Commands after writing a new or changed file. */
  install(state: 'new' | 'changed'): PlannedCommand[];
  /** Exits 0 when the service is loaded (launchd) or active (systemd). */
  readonly probe: PlannedCommand;
  /** Run when the file was already current but the probe failed. */
  readonly load: readonly PlannedCommand[];
  readonly stop: readonly PlannedCommand[];
  readonly afterRemove: readonly PlannedCommand[];
  readonly restart: PlannedCommand;
  readonly status: PlannedCommand;
  parseStatus(result: RunResult): ServiceRuntimeStatus;
}

export type FileState = 'new' | 'changed' | 'unchanged';

export interface InstallResult {
  readonly manager: ServiceManagerKind;
  readonly file: string;
  readonly content: string;
  readonly fileState: FileState;
  readonly dryRun: boolean;
  /** Commands run (or, in a dry run, to run). */
  readonly commands: readonly PlannedCommand[];
  /** Dry run with an unchanged file: commands that run only if the service turns out not to be loaded. */
  readonly ifNotLoaded: readonly PlannedCommand[];
}

/** Writes the service file (0644, atomically) and loads it; unchanged content is neither rewritten nor reloaded. */
export async function installService(environment: ServiceEnvironment, spec: ServiceSpec, dryRun: boolean): Promise<InstallResult> {
  const backend = serviceBackend(environment);
  // launchd refuses a root-owned agent in a user's LaunchAgents, and gui/0 is no login session.
  if (backend.kind === 'launchd' && environment.uid === 0) {
    throw new ServiceError('Install the service as the user who runs it, not as root (sudo)', { code: 'RUNNING_AS_ROOT' });
  }
  const content = await backend.render(spec);
  const existing = await readFile(backend.file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  const fileState: FileState = existing === null ? 'new' : existing === content ? 'unchanged' : 'changed';
  const result = { manager: backend.kind, file: backend.file, content, fileState, dryRun };
  if (dryRun) {
    if (fileState === 'unchanged') return { ...result, commands: [], ifNotLoaded: backend.load };
    return { ...result, commands: backend.install(fileState), ifNotLoaded: [] };
  }
  // launchd opens StandardOutPath itself and does not create folders.
  await mkdir(spec.logs.logDir, { recursive: true, mode: 0o700 });
  if (fileState === 'unchanged') {
    const loaded = (await environment.run(backend.probe.command, backend.probe.args)).exitCode === 0;
    if (!loaded) await runAll(environment, backend.load);
    return { ...result, commands: loaded ? [] : backend.load, ifNotLoaded: [] };
  }
  await writeFileAtomically(backend.file, content, { mode: 0o644, dirMode: 0o755 });
  const commands = backend.install(fileState);
  await runAll(environment, commands);
  return { ...result, commands, ifNotLoaded: [] };
}

export interface UninstallResult {
  readonly manager: ServiceManagerKind;
  readonly file: string;
  readonly existed: boolean;
  readonly dryRun: boolean;
  readonly commands: readonly PlannedCommand[];
}

/** Stops and unloads the service (whether or not it was loaded), then removes its file. */
export async function uninstallService(environment: ServiceEnvironment, dryRun: boolean): Promise<UninstallResult> {
  const backend = serviceBackend(environment);
  const existed = await fileExists(backend.file);
  const commands = [...backend.stop, ...backend.afterRemove];
  if (!dryRun) {
    await runAll(environment, backend.stop);
    await rm(backend.file, { force: true });
    await runAll(environment, backend.afterRemove);
  }
  return { manager: backend.kind, file: backend.file, existed, dryRun, commands };
}

/** Restarts the running daemon (launchctl kickstart -k / systemctl restart). */
export async function restartService(environment: ServiceEnvironment): Promise<PlannedCommand> {
  const backend = serviceBackend(environment);
  await requireInstalled(backend);
  await runAll(environment, [backend.restart]);
  return backend.restart;
}

export interface ServiceStatus extends ServiceRuntimeStatus {
  readonly manager: ServiceManagerKind;
  readonly name: string;
  readonly file: string;
  readonly installed: boolean;
}

/** Whether the file exists and what the service manager says about the job. Reads only. */
export async function serviceStatus(environment: ServiceEnvironment): Promise<ServiceStatus> {
  const backend = serviceBackend(environment);
  const installed = await fileExists(backend.file);
  const runtime = backend.parseStatus(await environment.run(backend.status.command, backend.status.args));
  return { manager: backend.kind, name: backend.name, file: backend.file, installed, ...runtime };
}

export function serviceBackend(environment: ServiceEnvironment): ServiceBackend {
  const kind = serviceManagerFor(environment.platform);
  if (kind === null) {
    throw new ServiceError(`No service manager support on ${environment.platform}: run \`ravi-orchestrator daemon\` yourself`, {
      code: 'UNSUPPORTED_PLATFORM',
    });
  }
  const file = serviceFilePath(kind, environment.home, environment.env);
  return kind === 'launchd' ? launchdBackend({ uid: environment.uid, file }) : systemdBackend({ file });
}

/** The real machine: execa without a shell, output captured, no stdin. */
export function defaultServiceEnvironment(env: NodeJS.ProcessEnv = process.env): ServiceEnvironment {
  return { platform: process.platform, home: env['HOME'] || os.homedir(), uid: process.getuid?.() ?? -1, env, run: execaRun };
}

export const execaRun: RunCommand = async (command, args) => {
  const result = await execa(command, [...args], { reject: false, stdin: 'ignore', timeout: 60_000 });
  // exitCode is undefined when the command could not start (ENOENT: no launchctl/systemctl here).
  return { exitCode: result.exitCode ?? 127, stdout: result.stdout, stderr: result.exitCode === undefined ? (result.shortMessage ?? '') : result.stderr };
};

/** For messages and dry runs only: the command as a shell would need it typed. Never executed. */
export function formatCommand(planned: PlannedCommand): string {
  return [planned.command, ...planned.args].map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`)).join(' ');
}

async function runAll(environment: ServiceEnvironment, commands: readonly PlannedCommand[]): Promise<void> {
  const sleep = environment.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (const planned of commands) {
    let result = await environment.run(planned.command, planned.args);
    for (let retry = 0; result.exitCode !== 0 && retry < (planned.retries ?? 0); retry += 1) {
      await sleep(1000);
      result = await environment.run(planned.command, planned.args);
    }
    if (result.exitCode !== 0 && planned.ignoreFailure !== true) {
      const output = (result.stderr.trim() || result.stdout.trim()).slice(0, 2000);
      throw new ServiceError(`\`${formatCommand(planned)}\` failed (exit ${result.exitCode})${output ? `: ${output}` : ''}`, { code: 'COMMAND_FAILED' });
    }
  }
}

async function requireInstalled(backend: ServiceBackend): Promise<void> {
  if (await fileExists(backend.file)) return;
  throw new ServiceError(`The service is not installed (no ${backend.file}): run \`ravi-orchestrator service install\``, { code: 'NOT_INSTALLED' });
}

async function fileExists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
