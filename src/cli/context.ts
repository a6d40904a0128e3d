/**
 * Shared set-up of the commands that load a config: the config, a logger and the provider. Command modules
 * import this inside their handlers (it loads the config loader and the providers), never at the top.
 */
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { Logger } from '../util/logger.js';
import type { LevelWithSilent } from 'pino';
import type { Config } from '../config/types.js';
import { loadConfig } from '../config/load.js';
import { locateWorktree, type LocatedWorktree } from '../git/locate-worktree.js';
import type { Provider } from '../providers/types.js';
import { loadProvider } from '../providers/load-provider.js';
import type { CliIo } from './io.js';
import { UsageError } from './usage-error.js';

/** The flags set-up reads; a command that does not declare one simply lacks it. */
export interface ContextFlags {
  readonly config?: string | null;
  readonly repo?: readonly string[];
  readonly worktree?: string | null;
  readonly stateDir?: string | null;
  readonly logLevel: LevelWithSilent;
}

export interface ContextInput<V extends ContextFlags> {
  readonly path: readonly string[];
  readonly flags: V;
  readonly positionals: readonly string[];
  readonly io: CliIo;
}

export interface CommandContext<V extends ContextFlags = ContextFlags> extends ContextInput<V> {
  readonly config: Config;
  readonly logger: Logger;
  readonly provider: Provider;
  /** The worktree `--worktree` names (for agent commands: the one they run in), resolved to its root. */
  readonly worktree: string | null;
}

export interface ContextOptions {
  /**
   * 'here' (default): the config's repos, else the repo the command runs in, else a config error.
   * 'state-only': only the state dir is needed (`service status`, `mail serve`, `history`): runs anywhere.
   * 'fleet': as 'here', but with no repo in reach, every repo the state dir manages (`status`).
   * 'worktree': an agent command; it must run in a worktree, or be given `--worktree`.
   */
  readonly scope?: 'here' | 'state-only' | 'fleet' | 'worktree';
}

export async function createCommandContext<V extends ContextFlags>(input: ContextInput<V>, options: ContextOptions = {}): Promise<CommandContext<V>> {
  const [{ createLogger }, loader] = await Promise.all([import('../util/logger.js'), configLoaderFor(input, options)]);
  const logger = createLogger(input.flags.logLevel);
  let config = await loader.load();
  const provider = await loadProvider(config);
  if (config.repos.includes(NO_REPO_IN_REACH)) config = { ...config, repos: await fleetRepos(config, provider) };
  logger.debug({ source: config.source, repos: config.repos, stateDir: config.stateDir, provider: config.provider.kind }, 'config loaded');
  return { ...input, config, logger, provider, worktree: loader.worktree };
}

/** What agent commands get: no logger, so `otp` and `whoami` do not load pino (~60 ms of CPU here) to log nothing. */
export type AgentContext<V extends ContextFlags = ContextFlags> = Omit<CommandContext<V>, 'logger' | 'worktree'> & {
  readonly worktree: string;
  /** What locating the worktree read (admin id, branch, repo name), or null where git had to answer: not read twice. */
  readonly located: LocatedWorktree | null;
};

/** Set-up of an agent command: the worktree it runs in (or --worktree), else a usage error saying what to do. */
export async function createAgentContext<V extends ContextFlags>(input: ContextInput<V>): Promise<AgentContext<V>> {
  const root = await agentWorktree(input);
  const loader = await configLoaderFor(input, { scope: 'worktree' }, root);
  const config = await loader.load();
  if (input.flags.logLevel === 'debug' || input.flags.logLevel === 'trace') {
    const { createLogger } = await import('../util/logger.js');
    createLogger(input.flags.logLevel).debug({ source: config.source, stateDir: config.stateDir, provider: config.provider.kind }, 'config loaded');
  }
  return { ...input, config, provider: await loadProvider(config), worktree: root.worktreePath, located: root.located };
}

export interface ConfigLoader {
  /** Loads (again) with the command line's overrides; the daemon calls it on every reload. */
  load(): Promise<Config>;
  readonly worktree: string | null;
}

/**
 * Stands for "no repo here and none configured" where the loader needs a repo, so that `status` can tell it
 * from a configured one and show the fleet instead. A NUL byte cannot occur in a real path.
 */
const NO_REPO_IN_REACH = '/\u0000no-repo-in-reach';

/** `agentRoot`: the worktree an agent command already located (scope 'worktree'), not located again. */
export async function configLoaderFor(input: Pick<ContextInput<ContextFlags>, 'flags' | 'io' | 'path'>, options: ContextOptions = {}, agentRoot?: WorktreeRoot): Promise<ConfigLoader> {
  const { flags, io } = input;
  const scope = options.scope ?? 'here';
  const named = flags.worktree ?? null;
  const agent = scope === 'worktree' ? (agentRoot ?? (await agentWorktree(input))) : null;
  // `--worktree PATH` is located once: its root is also where the command is "here".
  const root = agent ?? (named === null ? null : await resolveWorktreeRoot(resolvePath(io.cwd, named)));
  const worktree = root?.worktreePath ?? null;
  const here = root ?? (await resolveWorktreeRoot(io.cwd).catch(() => null));
  // A placeholder for commands that never list worktrees, so the config's repo check does not stop them.
  const placeholder = scope === 'state-only' ? io.cwd : scope === 'fleet' && (flags.repo ?? []).length === 0 ? NO_REPO_IN_REACH : null;
  const defaultRepo = here?.worktreePath ?? placeholder;
  // The main worktree of a non-bare repo is the folder holding its common dir (`<main>/.git`).
  const mainWorktree = here !== null && basename(here.commonDir) === '.git' ? dirname(here.commonDir) : null;
  const repoFlags = flags.repo ?? [];
  const repos = worktree !== null ? [worktree] : repoFlags.length > 0 ? repoFlags.map((r) => resolvePath(io.cwd, r)) : undefined;
  const loadOptions = {
    configFile: flags.config == null ? null : resolvePath(io.cwd, flags.config),
    cwd: io.cwd,
    defaultRepo,
    overrides: { repos, stateDir: flags.stateDir == null ? undefined : resolvePath(io.cwd, flags.stateDir) },
    fallbackDirs: [worktree, mainWorktree].filter((dir): dir is string => dir !== null),
  };
  return { load: () => loadConfig(loadOptions), worktree };
}

/** The worktree an agent command is about: `--worktree`, else the one it runs in; outside one it says what to do. */
async function agentWorktree(input: Pick<ContextInput<ContextFlags>, 'flags' | 'io' | 'path'>): Promise<WorktreeRoot> {
  const named = input.flags.worktree ?? null;
  const path = named === null ? input.io.cwd : resolvePath(input.io.cwd, named);
  const root = await resolveWorktreeRoot(path).catch(() => null);
  if (root === null) {
    const where = named === null ? `this folder (${path}) is not in a git worktree` : `--worktree ${named}: ${path} is not in a git worktree`;
    throw new UsageError(`${where}. ${input.path.join(' ')} works on the worktree it runs in: cd into a worktree, or pass --worktree PATH`, input.path);
  }
  return root;
}

async function fleetRepos(config: Config, provider: Provider): Promise<string[]> {
  const { managedRepos } = await import('./managed-repos.js'); // the ledger (and zod): only for `status` outside a repo
  const repos = await managedRepos(config.stateDir, provider.ledgerScope);
  if (repos.length === 0) {
    throw new UsageError(`No repository here, and the state dir ${config.stateDir} manages none yet: cd into a repo, pass --repo PATH, or set repos in a config`);
  }
  return repos;
}

/**
 * resolveWorktreeRoot (git/worktrees.ts) with its in-process step first: that module loads node:child_process
 * for its git fallback, which a plain layout never needs (agent commands' start-up).
 */
async function resolveWorktreeRoot(path: string): Promise<WorktreeRoot> {
  const located = await locateWorktree(path);
  if (located !== null) return { worktreePath: located.worktreePath, commonDir: located.commonDir, located };
  return { ...(await (await import('../git/worktrees.js')).resolveWorktreeRoot(path)), located: null };
}

interface WorktreeRoot {
  readonly worktreePath: string;
  readonly commonDir: string;
  /** The in-process answer, when the layout was plain enough for one. */
  readonly located: LocatedWorktree | null;
}

function resolvePath(cwd: string, path: string): string {
  if (path === '~' || path.startsWith('~/')) return join(homedir(), path.slice(1));
  return resolve(cwd, path);
}

/** Local mail, SMS and the local vault exist only with the local provider; say what to do instead. */
export function requireLocalProvider(context: Pick<CommandContext, 'config' | 'path'>, instead: string): void {
  if (context.config.provider.kind !== 'local') throw new UsageError(`${context.path.join(' ')} works with the local provider only. ${instead}`, context.path);
}
