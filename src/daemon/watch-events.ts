/**
 * Turns the watch sources' keys into passes, one per burst and none that cannot change anything:
 * - One debounce window per repo for both sources. `git worktree remove` deletes the folder (files
 *   source) and then the admin folder (git source) a moment later; debounced apart they flush a few ms
 *   apart, the second landing during the first one's pass and costing a second, identical pass.
 * - A git event always costs a pass: the worktree list is only known by listing it. One that ends a git command
 *   (`settled`: the unlink of `locked` after `git worktree add`, an admin folder gone after `remove`) flushes the
 *   window at once: nothing more of that burst is to come, and the quiet time was most of a reaction at N = 10.
 * - Worktree file events alone cost one only if a watched path differs from what the last pass saw or
 *   left there (watched-paths.ts). The pass's own writes come back as events (fs.watch reports our
 *   atomic rename), and an event may report an edit that a pass running at the time already read;
 *   neither needs another pass.
 *   An event during a pass is checked once that pass has recorded what it saw and wrote.
 *   Watcher errors reach us as file events too: the check then tells whether anything differs now, which
 *   is all a pass could tell (it does not repair a watcher).
 */
import type { Logger } from '../util/logger.js';
import { createDebouncer, type Debouncer } from './sources/source.js';
import { firstChanged, type WatchedPath } from './watched-paths.js';

export type WatchOrigin = 'git' | 'files';

export interface WatchEventsOptions {
  /** Quiet time after a repo's last event before it is looked at. */
  readonly debounceMs: number;
  /** Queues a pass of `repo`. */
  readonly enqueue: (repo: string) => void;
  /** What the repo's last successful pass watches, with what it saw or left there; undefined before one. */
  readonly watched: (repo: string) => readonly WatchedPath[] | undefined;
  readonly logger: Logger;
}

export class WatchEvents {
  readonly #options: WatchEventsOptions;
  readonly #windows = new Map<string, Debouncer>();
  readonly #passing = new Set<string>();
  readonly #filesDuringPass = new Set<string>();

  constructor(options: WatchEventsOptions) {
    this.#options = options;
  }

  /** `settled`: the event ended a git command's burst (sources/git-paths.ts, finishedBy): look now, not after the quiet time. */
  add(repo: string, origin: WatchOrigin, settled = false): void {
    let window = this.#windows.get(repo);
    if (window === undefined) {
      window = createDebouncer((origins) => {
        this.#windows.delete(repo); // flushed: nothing pending, no timer
        this.#flush(repo, origins.has('git'));
      }, this.#options.debounceMs);
      this.#windows.set(repo, window);
    }
    window.add(origin);
    if (settled) window.flush();
  }

  /** A pass of `repo` began; file events wait for passEnded(). */
  passStarted(repo: string): void {
    this.#passing.add(repo);
  }

  /** The pass of `repo` ended, after recording what it watches (or failed, keeping the previous record). */
  passEnded(repo: string): void {
    this.#passing.delete(repo);
    if (this.#filesDuringPass.delete(repo)) void this.#check(repo);
  }

  /** Drops pending events (shutdown). */
  cancel(): void {
    for (const window of this.#windows.values()) window.cancel();
    this.#windows.clear();
    this.#filesDuringPass.clear();
  }

  #flush(repo: string, git: boolean): void {
    if (git) this.#options.enqueue(repo);
    else if (this.#passing.has(repo)) this.#filesDuringPass.add(repo);
    else void this.#check(repo);
  }

  async #check(repo: string): Promise<void> {
    const watched = this.#options.watched(repo);
    const changed = watched === undefined ? null : await firstChanged(watched);
    if (watched === undefined || changed !== null) this.#options.enqueue(repo);
    else this.#options.logger.debug({ repo }, 'watched files are as the last pass saw or left them: no pass');
  }
}
