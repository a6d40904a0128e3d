/**
 * A running dashboard: the server plus what feeds it. The standalone `dashboard` command watches the
 * state dir and the repos itself; the daemon watches only the state dir (what one-shot runs change) and
 * calls refresh() after its own passes, which already follow the repos.
 */
import type { Logger } from '../util/logger.js';
import type { Config } from '../config/types.js';
import type { Provider } from '../providers/types.js';
import { resolveCommonDir } from '../git/worktrees.js';
import { collectSnapshot } from './snapshot.js';
import { createUnreadCounter } from './unread.js';
import { messagesForWorktree } from './worktree-messages.js';
import { startDashboardServer, type DashboardActions, type DashboardServer } from './server.js';
import { watchForChanges, type ChangeWatch } from './change-watch.js';

export interface Dashboard extends DashboardServer {
  /** Resolves once the change watchers are live. */
  readonly ready: Promise<void>;
}

/** Unread counts cost two provider calls per agent: re-read them at most this often. */
const UNREAD_TTL_MS = 15_000;

export async function startDashboard(options: {
  config: () => Config;
  provider: () => Provider;
  logger: Logger;
  port: number;
  actions: DashboardActions;
  /** What to watch for changes besides refresh() calls. */
  watch: 'state' | 'state-and-repos';
  token?: string;
}): Promise<Dashboard> {
  const unread = createUnreadCounter(options.provider, { ttlMs: UNREAD_TTL_MS, stateDir: () => options.config().stateDir });
  const server = await startDashboardServer({
    port: options.port,
    token: options.token,
    logger: options.logger,
    actions: options.actions,
    messages: (row) => messagesForWorktree(options.provider(), options.config().stateDir, row),
    collect: () => collectSnapshot({ config: options.config(), provider: options.provider(), logger: options.logger, unread }),
  });
  const config = options.config();
  const commonDirs =
    options.watch === 'state-and-repos'
      ? (await Promise.all(config.repos.map((repo) => resolveCommonDir(repo).catch(() => null)))).filter((d): d is string => d !== null)
      : [];
  const watch: ChangeWatch = await watchForChanges({
    stateDir: config.stateDir,
    commonDirs,
    onChange: () => void server.refresh(),
    onError: (error) => options.logger.warn({ err: error }, 'dashboard watcher error; the periodic refresh covers it'),
  });
  return {
    ...server,
    ready: watch.ready,
    async close() {
      await watch.close();
      await server.close();
    },
  };
}
