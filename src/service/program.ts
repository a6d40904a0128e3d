/**
 * What the service runs, fixed at install time: the absolute node binary, the real path of the package's bin,
 * `daemon` plus the flags that pin the user's config and state dir, and a PATH that finds git.
 * launchd and systemd start services with a bare environment, so nothing may depend on the login shell.
 */
import { access, constants, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ServiceError, type ServiceLogPaths } from './paths.js';

export interface ServiceProgram {
  /** Absolute node binary (`process.execPath` at install time). */
  readonly node: string;
  /** Real path of what node runs: the package's bin, `bin/ravi-orchestrator.cjs` ({@link defaultCliPath}). */
  readonly cli: string;
  /** Arguments after the CLI path: `daemon` and the flags from {@link daemonArguments}. */
  readonly args: readonly string[];
  /** PATH for the service's environment. */
  readonly path: string;
}

/** Everything a service file is rendered from. */
export interface ServiceSpec {
  readonly program: ServiceProgram;
  /** The service's working directory. */
  readonly home: string;
  readonly logs: ServiceLogPaths;
}

/** The settings the user gave at install time; all paths absolute. */
export interface DaemonFlags {
  readonly configFile: string | null;
  readonly stateDir: string | null;
  readonly repos: readonly string[];
}

export interface ProgramOptions {
  readonly flags: DaemonFlags;
  /** PATH at install time. */
  readonly pathEnv: string | undefined;
  /** @default process.execPath */
  readonly execPath?: string;
  /** @default the real path of this package's bin/ravi-orchestrator.cjs */
  readonly cliPath?: string;
}

export async function resolveServiceProgram(options: ProgramOptions): Promise<ServiceProgram> {
  const node = options.execPath ?? process.execPath;
  if (!path.isAbsolute(node)) throw new ServiceError(`The node binary path must be absolute, got "${node}"`, { code: 'BAD_PATH' });
  const cli = options.cliPath ?? (await defaultCliPath());
  return { node, cli, args: daemonArguments(options.flags), path: await servicePathValue(options.pathEnv) };
}

/** `daemon` plus the flags that make the service see what this shell saw (its cwd will be the home folder). */
export function daemonArguments(flags: DaemonFlags): string[] {
  const args = ['daemon'];
  if (flags.configFile !== null) args.push('--config', flags.configFile);
  if (flags.stateDir !== null) args.push('--state-dir', flags.stateDir);
  for (const repo of flags.repos) args.push('--repo', repo);
  return args;
}

/**
 * The real path of the package's bin (`bin/ravi-orchestrator.cjs`), so a moved symlink (npm link, nvm) cannot break
 * the service. The bin rather than the program's entry (`dist-cli/cli/main.js`, which the bin loads): it sets the
 * daemon's V8 flags before any of the program loads (src/util/optimizing-compilers.ts; Node 24, 2026-12-05, idle with 100
 * worktrees: 59.5 MB through the bin, 60.9 through the entry) and keeps the program's compile cache, so the service
 * runs as a daemon started from a shell does.
 */
export async function defaultCliPath(): Promise<string> {
  // This file is dist-cli/service/program.js in the built program (dist/service/program.js in the library): the
  // package's folders are two levels up.
  const bin = fileURLToPath(new URL('../../bin/ravi-orchestrator.cjs', import.meta.url));
  const entry = fileURLToPath(new URL('../../dist-cli/cli/main.js', import.meta.url));
  for (const file of [entry, bin]) {
    try {
      await access(file, constants.R_OK);
    } catch (error) {
      throw new ServiceError(`The CLI program's ${file} is missing: run \`npm run build\` before installing the service`, { code: 'NOT_BUILT', cause: error });
    }
  }
  return realpath(bin);
}

/** Folders a service PATH always includes, after the install-time PATH: system tools and both Homebrew prefixes. */
export const FALLBACK_PATH = ['/usr/bin', '/bin', '/usr/local/bin', '/opt/homebrew/bin'] as const;

/** Install-time PATH, then the folder of the git it finds, then {@link FALLBACK_PATH}; deduped, absolute entries only. */
export async function servicePathValue(pathEnv: string | undefined): Promise<string> {
  // Relative entries (`.`, empty) would resolve against the service's cwd: never useful, sometimes dangerous.
  const installEntries = (pathEnv ?? '').split(path.delimiter).filter((entry) => path.isAbsolute(entry));
  const git = await findExecutable('git', installEntries);
  const entries = [...installEntries, ...(git === null ? [] : [path.dirname(git)]), ...FALLBACK_PATH];
  return [...new Set(entries)].join(path.delimiter);
}

/** What `which name` would print, without a shell: the first executable regular file on `entries`. */
export async function findExecutable(name: string, entries: readonly string[]): Promise<string | null> {
  for (const entry of entries) {
    const candidate = path.join(entry, name);
    try {
      await access(candidate, constants.X_OK);
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      // not here; try the next folder
    }
  }
  return null;
}
