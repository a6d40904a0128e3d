/** Shared set-up of the commands that work on repos: config, logger, provider. */
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import { loadConfig } from '../config/load.js';
import { resolveWorktreeRoot } from '../git/worktrees.js';
import { createLogger } from '../util/logger.js';
import type { Provider } from '../providers/types.js';
import { createProvider } from '../providers/create-provider.js';
import type { CliArgs } from './args.js';
import type { CliIo } from './io.js';

export interface CommandContext {
  readonly args: CliArgs;
  readonly io: CliIo;
  readonly config: Config;
  readonly logger: Logger;
  readonly provider: Provider;
  /** The worktree `--worktree` names, resolved to its root. */
  readonly worktree: string | null;
}

export interface ContextOptions {
  /**
   * False for commands that only need the state dir (`service status`, `logs`, ...): they then run
   * outside any git repo. @default true
   */
  readonly needsRepos?: boolean;
}

export async function createCommandContext(args: CliArgs, io: CliIo, options: ContextOptions = {}): Promise<CommandContext> {
  const logger = createLogger(args.logLevel);
  const loader = await configLoaderFor(args, io, options);
  const config = await loader.load();
  logger.debug({ source: config.source, repos: config.repos, stateDir: config.stateDir, provider: config.provider.kind }, 'config loaded');
  return { args, io, config, logger, provider: createProvider(config), worktree: loader.worktree };
}

export interface ConfigLoader {
  /** Loads (again) with the command line's overrides; the daemon calls it on every reload. */
  load(): Promise<Config>;
  readonly worktree: string | null;
}

export async function configLoaderFor(args: CliArgs, io: CliIo, options: ContextOptions = {}): Promise<ConfigLoader> {
  const worktree = args.worktree === null ? null : (await resolveWorktreeRoot(resolvePath(io.cwd, args.worktree))).worktreePath;
  const here = await resolveWorktreeRoot(worktree ?? io.cwd).catch(() => null);
  // A placeholder for commands that never list worktrees, so the config's repo check does not stop them.
  const defaultRepo = here?.worktreePath ?? (options.needsRepos === false ? io.cwd : null);
  // The main worktree of a non-bare repo is the folder holding its common dir (`<main>/.git`).
  const mainWorktree = here !== null && basename(here.commonDir) === '.git' ? dirname(here.commonDir) : null;
  const repos = worktree !== null ? [worktree] : args.repos.length > 0 ? args.repos.map((r) => resolvePath(io.cwd, r)) : undefined;
  const loadOptions = {
    configFile: args.configFile === null ? null : resolvePath(io.cwd, args.configFile),
    cwd: io.cwd,
    defaultRepo,
    overrides: { repos, stateDir: args.stateDir === null ? undefined : resolvePath(io.cwd, args.stateDir) },
    fallbackDirs: [worktree, mainWorktree].filter((dir): dir is string => dir !== null),
  };
  return { load: () => loadConfig(loadOptions), worktree };
}

function resolvePath(cwd: string, path: string): string {
  if (path === '~' || path.startsWith('~/')) return join(homedir(), path.slice(1));
  return resolve(cwd, path);
}
