/** Keeps the daemon's status in memory and writes it to the status file, coalescing bursts of updates. */
import type { DaemonStatus, RepoStatus } from './status-file.js';
import { writeDaemonStatus } from './status-file.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export class StatusPublisher {
  readonly #stateDir: string;
  readonly #status: Mutable<DaemonStatus>;
  readonly #repos = new Map<string, Mutable<RepoStatus>>();
  #writing: Promise<void> | null = null;
  #again = false;
  readonly #onError: (error: unknown) => void;

  constructor(stateDir: string, initial: DaemonStatus, onError: (error: unknown) => void) {
    this.#stateDir = stateDir;
    this.#status = { ...initial };
    this.#onError = onError;
  }

  update(change: Partial<DaemonStatus>): void {
    Object.assign(this.#status, change);
    this.publish();
  }

  repo(repo: string, change: Partial<RepoStatus>): void {
    const current = this.#repos.get(repo) ?? { repo, lastPass: null, error: null, retryAt: null };
    this.#repos.set(repo, { ...current, ...change });
    this.publish();
  }

  /** Repos no longer configured disappear from the status. */
  retainRepos(repos: readonly string[]): void {
    for (const repo of this.#repos.keys()) if (!repos.includes(repo)) this.#repos.delete(repo);
    this.publish();
  }

  /** Resolves when everything published so far is on disk. */
  async flush(): Promise<void> {
    while (this.#writing !== null) await this.#writing;
  }

  publish(): void {
    if (this.#writing !== null) {
      this.#again = true;
      return;
    }
    this.#writing = (async () => {
      do {
        this.#again = false;
        const snapshot: DaemonStatus = { ...this.#status, updatedAt: new Date().toISOString(), repos: [...this.#repos.values()] };
        await writeDaemonStatus(this.#stateDir, snapshot).catch(this.#onError);
      } while (this.#again);
      this.#writing = null;
    })();
  }
}
