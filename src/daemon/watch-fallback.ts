/**
 * `WatchFallback`: while some folder cannot be watched, looks at what it concerns more often than the resync
 * (every `unwatchedResyncMs`, jittered like the resync) and tries the watches again; publishes the `watch`
 * entry of the status, and logs when the number of unwatched folders changes (not per folder, not per pass).
 * Its timer runs only while something is unwatched: an idle daemon with every folder watched has none.
 */
import type { Logger } from '../util/logger.js';
import { affected, watchStatus, type RepoWatchProblem, type WatchStatus } from './watch-problems.js';

export interface WatchFallbackOptions {
  readonly unwatchedResyncMs: number;
  readonly jitter: number;
  readonly logger: Logger;
  /** Publishes the status entry. */
  readonly publish: (status: WatchStatus) => void;
  /** Looks again at these repos (and the config file when `config`), retrying their watches. */
  readonly tick: (repos: ReadonlySet<string>, config: boolean) => Promise<void>;
}

export class WatchFallback {
  readonly #options: WatchFallbackOptions;
  #unwatched = 0;
  #affected: { repos: Set<string>; config: boolean } = { repos: new Set(), config: false };
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;

  constructor(options: WatchFallbackOptions) {
    this.#options = options;
  }

  /** The folders watched now and those that could not be, as the sources last reported them. */
  update(watched: number, problems: readonly RepoWatchProblem[]): void {
    if (this.#stopped) return;
    const { logger, publish, unwatchedResyncMs } = this.#options;
    const status = watchStatus(watched, problems, unwatchedResyncMs);
    if (status.unwatched !== this.#unwatched) {
      if (status.unwatched > 0) logger.warn({ unwatched: status.unwatched, problems: status.problems, fix: status.fix }, 'some folders cannot be watched; looking at their repos more often instead');
      else logger.info({ watched }, 'every folder is watched again');
    }
    this.#unwatched = status.unwatched;
    this.#affected = affected(problems);
    publish(status);
    if (status.unwatched > 0) this.#schedule();
    else this.#cancel();
  }

  stop(): void {
    this.#stopped = true;
    this.#cancel();
  }

  #schedule(): void {
    const { unwatchedResyncMs, jitter } = this.#options;
    if (this.#timer !== null || unwatchedResyncMs <= 0) return;
    const delay = Math.round(unwatchedResyncMs * (1 - jitter + 2 * jitter * Math.random()));
    this.#timer = setTimeout(() => {
      this.#timer = null;
      const { repos, config } = this.#affected;
      void this.#options.tick(repos, config).catch((error: unknown) => this.#options.logger.warn({ err: error }, 'fallback resync failed'))
        .finally(() => {
          if (!this.#stopped && this.#unwatched > 0) this.#schedule();
        });
    }, delay);
  }

  #cancel(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
