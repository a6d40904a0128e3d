/**
 * What a long-lived process (the daemon) keeps from one pass of a repo to the next, so that a pass where
 * nothing changed costs microseconds per worktree: answers validated against the files they rest on
 * (recorded-reads.ts), and the ledgers kept open while no other process wrote them. A pass still reads the
 * truth: every kept answer is checked against the disk before use. One-shot commands pass none.
 */
import type { Ledger } from '../files/ledger.js';
import { ReadCache, type PassCache } from '../files/recorded-reads.js';
import { SharedLooks } from '../files/shared-looks.js';
import type { IgnoreAnalysis } from '../git/ignore-fast-path.js';
import { ListingMemory, type ListingOptions } from '../git/worktree-list-fs.js';
import type { PortLedger } from '../ports/port-ledger.js';
import { VanishedFiles } from './vanished-files.js';

export class PassMemory {
  /** Per set of repos a pass covers (the daemon runs one pass per repo): each drops what its own last pass left unused. */
  readonly #ignore = new Map<string, ReadCache<IgnoreAnalysis>>();
  /** Each repo's worktree listing, by common dir (worktree-list-fs.ts): re-checked, not re-read, while unchanged. */
  readonly #listing = new ListingMemory();
  /** Repo -> the folders of the worktrees whose files its last pass read (observe reads them again early). */
  readonly #readFolders = new Map<string, readonly string[]>();
  ledger: Ledger | null = null;
  ports: PortLedger | null = null;
  /** Our files the last pass saw or left, and which of them vanished since (held back a moment). */
  readonly vanished: VanishedFiles;
  readonly #now: () => number;

  /**
   * `now`: the clock for telling a file written just now (not trusted later); tests move it. @default Date.now
   * `settleMs`: how long a vanished file of ours stays gone before it is written again. @default VANISHED_SETTLE_MS
   */
  constructor(options: { now?: () => number; settleMs?: number } = {}) {
    this.#now = options.now ?? Date.now;
    this.vanished = new VanishedFiles(options.settleMs);
  }

  /** The caches for one pass over `repos`, sharing that pass's looks (each file is checked at most once per pass). */
  begin(repos: readonly string[]): PassLooks {
    const key = repos.join('\0');
    let ignore = this.#ignore.get(key);
    if (ignore === undefined) this.#ignore.set(key, (ignore = new ReadCache(this.#now)));
    const memo = new Map<string, string>();
    const shared = new SharedLooks();
    return {
      shared,
      ignore: ignore.pass(memo, shared),
      listing: { now: this.#now, looks: shared, memory: this.#listing },
      readFoldersBefore: (repo) => this.#readFolders.get(repo) ?? [],
      rememberReadFolders: (repo, folders) => void this.#readFolders.set(repo, folders),
    };
  }
}

export interface PassLooks {
  /** The pass's looks at files, shared by the listing and the ignore checks (each file looked at once a pass). */
  readonly shared: SharedLooks;
  readonly ignore: PassCache<IgnoreAnalysis>;
  /** For the worktree listing: the pass's looks, and the answers kept from its last listing of each repo. */
  readonly listing: ListingOptions;
  /** The worktree folders whose files the last pass of `repo` read: likely the same ones this time. */
  readFoldersBefore(repo: string): readonly string[];
  rememberReadFolders(repo: string, folders: readonly string[]): void;
}
