/**
 * What a long-lived process (the daemon) keeps from one pass of a repo to the next, so that a pass where
 * nothing changed costs microseconds per worktree: answers validated against the files they rest on
 * (recorded-reads.ts), and the ledgers kept open while no other process wrote them. A pass still reads the
 * truth: every kept answer is checked against the disk before use. One-shot commands pass none.
 */
import type { Ledger } from '../files/ledger.js';
import { ReadCache, type PassCache } from '../files/recorded-reads.js';
import type { IgnoreAnalysis } from '../git/ignore-fast-path.js';
import type { PortLedger } from '../ports/port-ledger.js';

export class PassMemory {
  /** Per set of repos a pass covers (the daemon runs one pass per repo): each drops what its own last pass left unused. */
  readonly #ignore = new Map<string, ReadCache<IgnoreAnalysis>>();
  /** Repo -> the folders of the worktrees whose files its last pass read (observe reads them again early). */
  readonly #readFolders = new Map<string, readonly string[]>();
  ledger: Ledger | null = null;
  ports: PortLedger | null = null;
  readonly #now: () => number;

  /** `now`: the clock for telling a file written just now (not trusted later); tests move it. @default Date.now */
  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  /** The caches for one pass over `repos`, sharing that pass's looks (each file is checked at most once per pass). */
  begin(repos: readonly string[]): PassLooks {
    const key = repos.join('\0');
    let ignore = this.#ignore.get(key);
    if (ignore === undefined) this.#ignore.set(key, (ignore = new ReadCache(this.#now)));
    const memo = new Map<string, string>();
    return {
      ignore: ignore.pass(memo),
      readFoldersBefore: (repo) => this.#readFolders.get(repo) ?? [],
      rememberReadFolders: (repo, folders) => void this.#readFolders.set(repo, folders),
    };
  }
}

export interface PassLooks {
  readonly ignore: PassCache<IgnoreAnalysis>;
  /** The worktree folders whose files the last pass of `repo` read: likely the same ones this time. */
  readFoldersBefore(repo: string): readonly string[];
  rememberReadFolders(repo: string, folders: readonly string[]): void;
}
