/**
 * The long-running controller (DESIGN.md "The loop"): watch sources turn events into repo keys, the
 * workqueue runs one pass per key (deduplicated, never twice at once, backoff on failure), and a
 * jittered resync covers what no event reports. The same engine as the one-shot `reconcile`.
 */
import type { Logger } from '../util/logger.js';
import type { Config } from '../config/types.js';
import type { Provider } from '../providers/types.js';
import { createProvider } from '../providers/create-provider.js';
import { resolveCommonDir } from '../git/worktrees.js';
import { WorkQueue, type RunEndEvent } from './workqueue.js';
import { createGitSource } from './sources/git-source.js';
import { createWorktreeFilesSource } from './sources/worktree-files-source.js';
import { createConfigSource } from './sources/config-source.js';
import type { LocalMail } from '../mail/local-mail.js';
import type { Dashboard } from '../dashboard/dashboard.js';
import { acquireInstanceLock, type InstanceLock } from './instance-lock.js';
import { StatusPublisher } from './status-publisher.js';
import { PassFailedError, runRepoPass } from './repo-pass.js';
import { PassMemory } from '../reconcile/pass-memory.js';
import type { DaemonOptions } from './options.js';
import { firstChanged, type WatchedPath } from './watched-paths.js';
import { WatchEvents } from './watch-events.js';
import { letMemoryReducerSeeIdle } from '../util/memory-reducer.js';
import { toRepoProblems } from './watch-problems.js';
import { WatchFallback } from './watch-fallback.js';
import { AddedWorktrees } from './added-worktrees.js';
import { stat } from 'node:fs/promises';

export interface DaemonDeps {
  /** Loads the config; called at start and on every reload (config file change, SIGHUP). */
  readonly loadConfig: () => Promise<Config>;
  readonly logger: Logger;
  readonly options: DaemonOptions;
  readonly logFile: string | null;
}

export class Daemon {
  #config: Config;
  #provider: Provider;
  readonly #deps: DaemonDeps;
  readonly #lock: InstanceLock;
  readonly #status: StatusPublisher;
  readonly #queue: WorkQueue<string>;
  readonly #git: ReturnType<typeof createGitSource>;
  readonly #files: ReturnType<typeof createWorktreeFilesSource>;
  #configSource: ReturnType<typeof createConfigSource>;
  /** Common dir -> configured repo paths that live in it. */
  readonly #commonDirs = new Map<string, string>();
  /** Repo -> what its last successful pass watches, with what it saw or left at each path. */
  readonly #watched = new Map<string, readonly WatchedPath[]>();
  /** Kept between passes so a pass where little changed re-checks, not re-reads (validated before each use). */
  readonly #memory: PassMemory;
  readonly #events: WatchEvents;
  /** Admin ids the git watch saw appear since each repo's last run began: its next run serves them first. */
  readonly #added = new AddedWorktrees();
  #resyncTimer: NodeJS.Timeout | null = null;
  /** While some folder cannot be watched: the status entry, and a shorter resync of what it concerns. */
  readonly #fallback: WatchFallback;
  /** Size, mtime and inode of the config file at the last load, for the fallback check when it is unwatched. */
  #configStamp: string | null = null;
  #mail: LocalMail | null = null;
  #dashboard: Dashboard | null = null;
  #stopping: Promise<void> | null = null;
  #resolveStopped: () => void = () => {};
  readonly #stopped = new Promise<void>((resolve) => {
    this.#resolveStopped = resolve;
  });

  private constructor(config: Config, lock: InstanceLock, deps: DaemonDeps) {
    this.#config = config;
    this.#deps = deps;
    this.#memory = new PassMemory({ settleMs: deps.options.vanishedSettleMs });
    this.#lock = lock;
    this.#provider = createProvider(config);
    this.#status = new StatusPublisher(
      config.stateDir,
      {
        pid: process.pid, startedAt: lock.self.startedAt, updatedAt: lock.self.startedAt, state: 'starting',
        configSource: config.source, configError: null, provider: config.provider.kind, nextResyncAt: null,
        queue: { queued: [], running: [] }, repos: [], logFile: deps.logFile, mail: null,
      },
      (error) => deps.logger.warn({ err: error }, 'could not write the status file'),
    );
    this.#queue = new WorkQueue<string>((repo, signal) => this.#reconcile(repo, signal), {
      workers: 1, // passes serialise on the state lock anyway; one worker keeps the ledger writes simple
      baseBackoffMs: deps.options.baseBackoffMs,
      maxBackoffMs: deps.options.maxBackoffMs,
      onRunEnd: (event) => this.#onRunEnd(event),
    });
    // The sources pass keys on at once; #events debounces both together, per repo (watch-events.ts).
    const onAdded = (commonDir: string, ids: readonly string[]) => {
      const repo = this.#commonDirs.get(commonDir);
      if (repo !== undefined) this.#added.note(repo, ids);
    };
    this.#git = createGitSource([], { debounceMs: 0, onProblemsChanged: () => this.#publishWatch(), onAdded });
    this.#files = createWorktreeFilesSource({ debounceMs: 0 });
    this.#events = new WatchEvents({
      debounceMs: deps.options.debounceMs,
      enqueue: (repo) => this.#queue.add(repo),
      watched: (repo) => this.#watched.get(repo),
      logger: deps.logger,
    });
    this.#configSource = createConfigSource(config.source);
    this.#fallback = new WatchFallback({
      unwatchedResyncMs: deps.options.unwatchedResyncMs,
      jitter: deps.options.resyncJitter,
      logger: deps.logger,
      publish: (watch) => this.#status.update({ watch }),
      tick: (repos, configFile) => this.#fallbackResync(repos, configFile),
    });
  }

  /** Loads the config, takes the instance lock, starts the sources, and begins reconciling. */
  static async start(deps: DaemonDeps): Promise<Daemon> {
    const config = await deps.loadConfig();
    const lock = await acquireInstanceLock(config.stateDir);
    const daemon = new Daemon(config, lock, deps);
    try {
      await daemon.#begin();
    } catch (error) {
      await daemon.stop('start failed');
      throw error;
    }
    return daemon;
  }

  /** Resolves once stop() has finished. */
  stopped(): Promise<void> {
    return this.#stopped;
  }

  get config(): Config {
    return this.#config;
  }

  async #begin(): Promise<void> {
    const { logger } = this.#deps;
    await this.#resolveCommonDirs();
    this.#git.start((commonDir, settled) => {
      const repo = this.#commonDirs.get(commonDir);
      if (repo !== undefined) this.#events.add(repo, 'git', settled === true);
    });
    this.#files.start((repo) => this.#events.add(repo, 'files'));
    this.#startConfigSource();
    await Promise.all([this.#git.waitForSync(), this.#files.waitForSync(), this.#configSource.waitForSync()]);
    this.#configStamp = await stampOf(this.#config.source);
    await this.#startMail();
    await this.#startDashboard();
    this.#queue.start();
    this.#enqueueAll();
    this.#scheduleResync();
    this.#status.update({ state: 'running' });
    // Not earlier: the status file naming this pid tells callers the daemon is up, and the CLI sets its
    // signal handlers only once start() has returned.
    this.#publishWatch();
    logger.info({ repos: this.#config.repos, stateDir: this.#config.stateDir, provider: this.#config.provider.kind }, 'daemon started');
  }

  /** Reloads the config; a broken config keeps the last good one and says why. */
  async reload(reason: string): Promise<void> {
    const { logger } = this.#deps;
    let next: Config;
    try {
      next = await this.#deps.loadConfig();
    } catch (error) {
      logger.error({ err: error, reason }, 'config reload failed; keeping the last good config');
      this.#status.update({ configError: (error as Error).message });
      return;
    }
    if (next.stateDir !== this.#config.stateDir) {
      logger.warn({ stateDir: next.stateDir }, 'stateDir changed: restart the daemon for it to take effect; keeping the old one');
      next = { ...next, stateDir: this.#config.stateDir };
    }
    if (JSON.stringify(next.provider) !== JSON.stringify(this.#config.provider)) this.#provider = createProvider(next);
    const sourceChanged = next.source !== this.#config.source;
    this.#config = next;
    this.#configStamp = await stampOf(next.source);
    for (const repo of [...this.#watched.keys()]) if (!next.repos.includes(repo)) this.#watched.delete(repo);
    this.#added.retain(next.repos);
    await this.#resolveCommonDirs();
    await this.#files.setWatched(this.#watchEntries());
    if (sourceChanged) {
      await this.#configSource.close();
      this.#configSource = createConfigSource(next.source);
      this.#startConfigSource();
    }
    this.#publishWatch();
    this.#status.retainRepos(next.repos);
    this.#status.update({ configError: null, configSource: next.source, provider: next.provider.kind });
    logger.info({ reason, repos: next.repos }, 'config reloaded');
    this.#enqueueAll();
  }

  /** Stop taking work, abort in-flight provider calls, close watchers, release the lock. Idempotent. */
  stop(reason: string): Promise<void> {
    this.#stopping ??= (async () => {
      this.#deps.logger.info({ reason }, 'daemon stopping');
      this.#status.update({ state: 'stopping' });
      if (this.#resyncTimer !== null) clearTimeout(this.#resyncTimer);
      this.#fallback.stop();
      this.#events.cancel();
      await Promise.allSettled([this.#git.close(), this.#files.close(), this.#configSource.close(), this.#mail?.close(), this.#dashboard?.close()]);
      await this.#queue.shutdown();
      this.#status.update({ state: 'stopped', queue: { queued: [], running: [] }, nextResyncAt: null });
      await this.#status.flush();
      await this.#lock.release();
      this.#deps.logger.info('daemon stopped');
      this.#resolveStopped();
    })();
    return this.#stopping;
  }

  async #reconcile(repo: string, signal: AbortSignal): Promise<{ requeueAfterMs?: number }> {
    if (!this.#config.repos.includes(repo)) return {}; // removed by a reload while queued
    // The queue marks the key running once this call has returned its promise: publish after that, or
    // the status would show it neither queued nor running (and "idle" with this pass's result to come).
    queueMicrotask(() => this.#publishQueue());
    this.#events.passStarted(repo);
    const added = this.#added.take(repo);
    try {
      const result = await runRepoPass({
        repo, config: this.#config, provider: this.#provider, logger: this.#deps.logger.child({ repo }), signal, lockWaitMs: this.#deps.options.lockWaitMs, memory: this.#memory,
        focus: added.ids, settleMs: this.#deps.options.debounceMs,
      });
      this.#status.repo(repo, { lastPass: result.summary, error: null, retryAt: null });
      added.unfinished(result.unfinished);
      if (result.commonDir !== null && this.#commonDirs.get(result.commonDir) !== repo) {
        this.#commonDirs.set(result.commonDir, repo);
        await this.#git.setRepos([...this.#commonDirs.keys()]);
        // Its git watch began after this pass listed the worktrees: a change in between sent no event. Rare
        // (a repo that was not one when the daemon started or reloaded), so simply look once more.
        this.#queue.add(repo);
      }
      const before = new Set(this.#watched.get(repo)?.map((watched) => watched.path));
      this.#watched.set(repo, result.watch);
      await this.#files.setWatched(this.#watchEntries());
      this.#publishWatch();
      // A path this pass read or wrote, then edited (or deleted) before its new watch was ready, sent no
      // event. Paths watched before stay watched throughout (the files source closes an old watcher only
      // once its replacement is ready), so only the new ones can have missed one: compare those with what
      // this pass saw or left (watched-paths.ts), and look again only if one differs.
      const changed = await firstChanged(result.watch.filter((watched) => !before.has(watched.path)));
      if (changed !== null) {
        this.#deps.logger.debug({ repo, path: changed.path }, 'changed before its watch was ready; looking again');
        this.#queue.add(repo);
      }
      return result.requeueAfterMs === undefined ? {} : { requeueAfterMs: result.requeueAfterMs };
    } catch (error) {
      if (error instanceof PassFailedError) this.#status.repo(repo, { lastPass: error.summary });
      throw error;
    } finally {
      this.#events.passEnded(repo);
    }
  }

  #onRunEnd(event: RunEndEvent<string>): void {
    const { logger } = this.#deps;
    if (event.ok) logger.debug({ repo: event.key, durationMs: event.durationMs }, 'pass finished');
    else {
      const retryAt = event.retryInMs === null ? null : new Date(Date.now() + event.retryInMs).toISOString();
      logger.warn({ repo: event.key, err: event.error, retryAt, terminal: event.terminal }, 'pass failed');
      this.#status.repo(event.key, { error: event.error?.message ?? 'failed', retryAt });
    }
    this.#publishQueue();
    void this.#dashboard?.refresh();
    letMemoryReducerSeeIdle(); // so that V8 collects what the pass left once the daemon is idle again
  }

  async #resolveCommonDirs(): Promise<void> {
    for (const repo of this.#config.repos) {
      try {
        this.#commonDirs.set(await resolveCommonDir(repo), repo);
      } catch (error) {
        // Not a repo (yet): the pass reports it and the resync tries again.
        this.#deps.logger.warn({ repo, err: error }, 'cannot watch repo');
      }
    }
    for (const [commonDir, repo] of [...this.#commonDirs]) if (!this.#config.repos.includes(repo)) this.#commonDirs.delete(commonDir);
    await this.#git.setRepos([...this.#commonDirs.keys()]);
  }

  #enqueueAll(): void {
    for (const repo of this.#config.repos) this.#queue.add(repo);
    this.#publishQueue();
  }

  #scheduleResync(): void {
    const { resyncMs, resyncJitter } = this.#deps.options;
    if (resyncMs <= 0) return;
    const delay = Math.round(resyncMs * (1 - resyncJitter + 2 * resyncJitter * Math.random()));
    this.#status.update({ nextResyncAt: new Date(Date.now() + delay).toISOString() });
    // A ref'd timer: with the watchers it keeps the daemon alive, and it is the only periodic work.
    this.#resyncTimer = setTimeout(() => {
      this.#deps.logger.debug('periodic resync');
      // Also re-resolves repos: one deleted and cloned again gets a fresh watcher.
      void this.#resolveCommonDirs().finally(() => this.#enqueueAll());
      void this.#mail?.prune().catch((error: unknown) => this.#deps.logger.warn({ err: error }, 'pruning old messages failed'));
      this.#scheduleResync();
    }, delay);
  }

  /** The local provider's SMTP server and SMS endpoint; a port in use is logged, not fatal (agents keep their identities). */
  async #startMail(): Promise<void> {
    if (this.#config.provider.kind !== 'local' || !this.#config.mail.enabled) return;
    // Loaded only here: the SMTP server and mail parser weigh more than the rest of an idle daemon.
    const { startLocalMail } = await import('../mail/local-mail.js');
    // A port already taken (often another daemon, with another state dir) stops the start with the reason on
    // stderr: a daemon whose agents' mail silently goes elsewhere is worse than none.
    this.#mail = await startLocalMail(this.#config, this.#deps.logger).catch((error: unknown) => {
      const { smtpPort, smsPort } = this.#config.mail;
      throw new Error(`The local mail servers could not start on 127.0.0.1 (SMTP ${smtpPort}, SMS ${smsPort}): ${(error as Error).message}. Another ravi-orchestrator daemon (another state dir?) or program may hold the port: stop it, or set mail.smtpPort / mail.smsPort (or mail.enabled: false)`, { cause: error });
    });
    await this.#mail.prune();
    this.#status.update({ mail: { smtp: `${this.#mail.smtp.host}:${this.#mail.smtp.port}`, sms: `http://${this.#mail.sms.host}:${this.#mail.sms.port}/sms` } });
  }

  /**
   * The dashboard (config `dashboard.enabled`), loaded only then. Its buttons go through this daemon: a
   * reconcile is queued like any event; a release runs at once (it takes the state lock like a pass).
   * A port in use is logged, not fatal.
   */
  async #startDashboard(): Promise<void> {
    if (!this.#config.dashboard.enabled) return;
    try {
      const [{ startDashboard }, { readOrCreateToken }, { releaseFromDashboard }] = await Promise.all([
        import('../dashboard/dashboard.js'),
        import('../dashboard/token-file.js'),
        import('../dashboard/release-action.js'),
      ]);
      this.#dashboard = await startDashboard({
        config: () => this.#config,
        provider: () => this.#provider,
        logger: this.#deps.logger.child({ component: 'dashboard' }),
        port: this.#config.dashboard.port,
        token: await readOrCreateToken(this.#config.stateDir),
        // The daemon's own passes report repo changes (refresh in #onRunEnd): no second git watcher.
        watch: 'state',
        actions: {
          reconcile: async () => {
            this.#enqueueAll();
            return `Reconcile queued for ${this.#config.repos.length} repo(s); this page updates as it runs.`;
          },
          release: (worktree) =>
            releaseFromDashboard({ config: this.#config, provider: this.#provider, logger: this.#deps.logger, lockWaitMs: this.#deps.options.lockWaitMs }, worktree),
        },
      });
      await this.#dashboard.ready;
      this.#status.update({ dashboard: { url: this.#dashboard.url } });
      this.#deps.logger.info({ port: this.#dashboard.port }, 'dashboard serving on 127.0.0.1 (`ravi-orchestrator status` prints the link)');
    } catch (error) {
      this.#deps.logger.error({ err: error }, 'the dashboard could not start; identities are still managed');
    }
  }

  /** Hands what the sources could and could not watch to #fallback (status entry, shorter resync, one log line). */
  #publishWatch(): void {
    if (this.#stopping !== null) return;
    const repoOfCommonDir = (commonDir: string) => this.#commonDirs.get(commonDir) ?? commonDir;
    const problems = [
      ...toRepoProblems(this.#git.problems(), repoOfCommonDir),
      ...toRepoProblems(this.#files.problems(), (repo) => repo),
      ...toRepoProblems(this.#configSource.problems(), () => null),
    ];
    this.#fallback.update(this.#git.watchCount() + this.#files.watchCount() + this.#configSource.watchCount(), problems);
  }

  /** Looks again at what cannot be watched; each pass (and setRepos) also tries those watches again. */
  async #fallbackResync(repos: ReadonlySet<string>, configFile: boolean): Promise<void> {
    if (this.#stopping !== null) return;
    if (configFile && (await stampOf(this.#config.source)) !== this.#configStamp) await this.reload('config file changed (not watched)');
    await this.#git.setRepos([...this.#commonDirs.keys()]);
    for (const repo of repos) if (this.#config.repos.includes(repo)) this.#queue.add(repo);
    this.#publishQueue();
    this.#publishWatch();
  }

  #startConfigSource(): void {
    this.#configSource.onChange(() => void this.reload('config file changed'));
    this.#configSource.start(() => {});
  }

  #watchEntries(): Array<{ key: string; files: readonly string[] }> {
    return [...this.#watched].map(([key, paths]) => ({ key, files: paths.map((watched) => watched.path) }));
  }

  #publishQueue(): void {
    const snapshot = this.#queue.snapshot();
    this.#status.update({ queue: { queued: [...snapshot.queued], running: [...snapshot.running] } });
  }
}

/** What tells a changed config file from the one last loaded, without reading it. */
async function stampOf(file: string | null): Promise<string | null> {
  if (file === null) return null;
  const info = await stat(file).catch(() => null);
  return info === null ? 'absent' : `${info.ino}:${info.size}:${info.mtimeMs}`;
}
