/** Shared set-up of the commands that work on repos: config, logger, provider. */
import { resolve } from 'node:path';
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

export async function createCommandContext(args: CliArgs, io: CliIo): Promise<CommandContext> {
  const logger = createLogger(args.logLevel);
  const worktree = args.worktree === null ? null : (await resolveWorktreeRoot(resolvePath(io.cwd, args.worktree))).worktreePath;
  const defaultRepo = await resolveWorktreeRoot(io.cwd).then(
    (found) => found.worktreePath,
    () => null,
  );
  const repos = worktree !== null ? [worktree] : args.repos.length > 0 ? args.repos.map((r) => resolvePath(io.cwd, r)) : undefined;
  const config = await loadConfig({
    configFile: args.configFile === null ? null : resolvePath(io.cwd, args.configFile),
    cwd: io.cwd,
    defaultRepo,
    overrides: { repos, stateDir: args.stateDir === null ? undefined : resolvePath(io.cwd, args.stateDir) },
  });
  logger.debug({ source: config.source, repos: config.repos, stateDir: config.stateDir, provider: config.provider.kind }, 'config loaded');
  return { args, io, config, logger, provider: createProvider(config), worktree };
}

function resolvePath(cwd: string, path: string): string {
  return path.startsWith('~') ? path : resolve(cwd, path); // `~` is expanded by the config normaliser
}
