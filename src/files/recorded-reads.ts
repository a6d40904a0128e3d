/**
 * Reads of small local files that remember what they saw, so an answer computed from them can be reused while
 * every one of those reads would still give the same result (validated, never trusted: see stillValid).
 *
 * Synchronous on purpose: these are a few hundred bytes each (a `.git` file, `commondir`, `info/exclude`, an
 * index of a worktree), and a synchronous stat or read costs a few microseconds where the promise API costs a
 * thread-pool round trip per syscall (open, fstat, read, close: four for one readFile), which at 2000 worktrees
 * was most of a pass (issue 16).
 *
 * Stamps and the racy rule (a file changed just before the look is not trusted later, and the answer is not
 * kept) are file-stamps.ts's, shared with the worktree listing. Here, stamps are text: a check's `seen` is
 * compared and memoised with summaries and resolved paths, and a read is stamped through its open handle.
 */
import { closeSync, lstatSync, realpathSync, statSync, type Stats } from 'node:fs';
import { isAbsent, notRegular, openRegularFile, readOpenFile, readRegularFileSync, readSmallFileSync, scanSmallFileSync } from './regular-file.js';
import { SharedLooks } from './shared-looks.js';
import { changedRecently, stampText } from './file-stamps.js';

export type ReadOp = 'lstat' | 'stat' | 'read' | 'resolve' | 'summary';

/** One thing a computation looked at, and what it saw (a stamp, 'absent', a resolved path, or a summary). */
export interface ReadCheck {
  readonly op: ReadOp;
  readonly path: string;
  readonly seen: string;
  /** For 'summary': what the file's text was summed up by (its name keeps two summaries of one file apart). */
  readonly summary?: Summary;
}

/** What an answer takes from a file's bytes (null: absent), as a string that is equal exactly when the answer would be. */
export interface Summary {
  readonly name: string;
  readonly of: (bytes: Buffer | null) => string;
}

export class RecordedReads {
  readonly checks: ReadCheck[] = [];
  /** False once something was read that a later look could not tell apart from a change (racy, or an error). */
  reusable = true;
  readonly #now: () => number;
  readonly #shared: SharedLooks | null;
  readonly #record: boolean;

  /**
   * `now`: the clock the racy test compares file times with (tests move it). @default Date.now
   * `shared`: the looks of the pass this computation belongs to (shared-looks.ts), if any.
   * `record`: false for an answer nobody will keep (a one-shot pass), which then costs no stamps.
   */
  constructor(now: () => number = Date.now, shared: SharedLooks | null = null, record = true) {
    this.#now = now;
    this.#shared = shared;
    this.#record = record;
  }

  /** lstat, or null when absent. For a path's kind and owner: only those and its identity are recorded. */
  lstat(path: string): Stats | null {
    return this.#look('lstat', path, () => (this.#shared !== null ? this.#shared.stats('lstat', path) : (lstatSync(path, { throwIfNoEntry: false }) ?? null)));
  }

  /** stat (follows symlinks), or null when absent; recorded like lstat. */
  stat(path: string): Stats | null {
    return this.#look('stat', path, () => (this.#shared !== null ? this.#shared.followed(path) : (statSync(path, { throwIfNoEntry: false }) ?? null)));
  }

  /** The file's bytes, or null when absent. Any other error is thrown (and the answer is not kept). */
  read(path: string): Buffer | null {
    return this.#record ? this.#readStamped(path) : this.#readUnrecorded(path);
  }

  /**
   * `use` applied to the file's bytes, or `absent` when there is no file: read() for a file that may be large and
   * is only scanned (a worktree's git index, 2 MB for 20,000 tracked files), recorded as read() records it. The
   * bytes are lent to `use` alone: with the pass's looks they sit in a buffer the next scan reuses
   * (SharedLooks.largeBuffer), without them in a fresh one.
   */
  scan<T>(path: string, use: (bytes: Buffer) => T, absent: T): T {
    const shared = this.#shared;
    const large = shared === null ? (size: number) => Buffer.allocUnsafe(size) : (size: number) => shared.largeBuffer(size);
    if (this.#record) {
      const bytes = this.#readStamped(path, large);
      return bytes === null ? absent : use(bytes);
    }
    try {
      return scanSmallFileSync(path, use, large);
    } catch (error) {
      if (isAbsent(error)) return absent;
      this.reusable = false;
      throw error;
    }
  }

  /** read() of an answer that is kept: stamped through the open handle. `into`: where the bytes go (readOpenFile). */
  #readStamped(path: string, into?: (size: number) => Buffer): Buffer | null {
    let bytes: Buffer | null = null;
    // Stamped through the open handle, before reading: a change in between leaves a stamp older than the bytes,
    // which the next look rejects. (A stat by path first would cost one more syscall for the same guarantee.)
    this.#look('read', path, () => {
      // Read whole earlier in this pass, without following (SharedLooks.readPlain): a plain file, which a read that
      // follows would find the same; its handle's fstat is the stamp this read would have taken.
      const kept = this.#shared?.plainBytes(path);
      if (kept !== undefined) {
        bytes = kept;
        return this.#shared?.stats('lstat', path) ?? null;
      }
      const opened = openRegularFile(path);
      if (opened === null) return null;
      try {
        if (!opened.stats.isFile()) {
          this.reusable = false;
          throw notRegular(path);
        }
        bytes = readOpenFile(opened.fd, opened.stats.size, into);
        return opened.stats;
      } finally {
        closeSync(opened.fd);
      }
    });
    return bytes;
  }

  /**
   * `summary.of` the file's bytes (null when absent). The answer rests on that summary alone, checked by reading the
   * file again (once per pass when the memo is shared): for a file many answers share and other tools rewrite, such
   * as the repository's config, which git rewrites whole to delete a branch's section. Its stamp would then void
   * every answer, twice (changed, then racy); its summary is unchanged. A summary is compared, never a stamp, so no
   * racy rule applies. Errors other than absence are thrown (and the answer is not kept).
   */
  summarize(path: string, summary: Summary): string {
    const now = () => summaryNow(path, summary);
    const seen = this.#shared === null ? now() : this.#shared.summary(`${summary.name}\0${path}`, now, (s) => !s.startsWith(SUMMARY_ERROR));
    if (seen.startsWith(SUMMARY_ERROR)) {
      this.reusable = false;
      throw new Error(`cannot read ${path} (${seen.slice(SUMMARY_ERROR.length)})`);
    }
    if (this.#record) this.checks.push({ op: 'summary', path, seen, summary });
    return seen;
  }

  /**
   * realpath; throws like fs.realpath (ENOENT included). Recorded as the identity `path` leads to: while `path`
   * still leads to that same folder, and the result names it too (see lookNow), the result still holds; one stat
   * each instead of realpath's lstat of every component.
   */
  realpath(path: string): string {
    try {
      const resolved = this.#shared !== null ? this.#shared.realpath(path) : realpathSync.native(path);
      const target = this.#shared !== null ? this.#shared.followed(path) : statSync(path);
      if (target === null) throw Object.assign(new Error(`ENOENT: no such file or directory, stat '${path}'`), { code: 'ENOENT' });
      if (this.#record) {
        this.checks.push({ op: 'resolve', path, seen: `${stampText(target, 'identity')}>${resolved}` });
        if (resolved !== path) this.checks.push({ op: 'stat', path: resolved, seen: stamp('stat', target) });
      }
      return resolved;
    } catch (error) {
      this.reusable = false;
      throw error;
    }
  }

  /** read() for an answer nobody keeps: no stamp, so no fstat (regular-file.ts, readSmallFileSync). */
  #readUnrecorded(path: string): Buffer | null {
    const kept = this.#shared?.plainBytes(path);
    if (kept !== undefined) return kept;
    try {
      return readSmallFileSync(path);
    } catch (error) {
      if (isAbsent(error)) return null;
      this.reusable = false;
      throw error;
    }
  }

  #look(op: ReadOp, path: string, look: () => Stats | null): Stats | null {
    let stats: Stats | null;
    try {
      stats = look();
    } catch (error) {
      if (!isAbsent(error)) {
        this.reusable = false;
        throw error;
      }
      stats = null; // ENOTDIR: a file where a folder was expected; absent as far as the path goes
    }
    if (!this.#record) return stats;
    if (stats !== null && op === 'read' && changedRecently(stats, this.#now())) this.reusable = false;
    this.checks.push({ op, path, seen: stamp(op, stats) });
    return stats;
  }
}

/**
 * Answers kept across passes (the daemon keeps one per repo), each with the reads it rests on. A one-shot
 * command makes none: it has nothing to reuse.
 */
export class ReadCache<V> {
  readonly #entries = new Map<string, { checks: readonly ReadCheck[]; value: V; pass: number }>();
  #pass = 0;
  readonly #now: () => number;

  /** `now`: for tests, as in RecordedReads. */
  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /**
   * The cache for one pass. `memo` and `shared` are that pass's own (`shared` may serve its other readers too, the
   * worktree listing): a look taken by an earlier pass says nothing about now. Answers the previous pass did not
   * use (a removed worktree) are dropped.
   */
  pass(memo: Map<string, string>, shared: SharedLooks = new SharedLooks()): PassCache<V> {
    const current = ++this.#pass;
    for (const [key, entry] of this.#entries) if (entry.pass < current - 1) this.#entries.delete(key);
    return {
      get: (key, compute) => {
        const entry = this.#entries.get(key);
        if (entry !== undefined && stillValid(entry.checks, memo, this.#now, shared)) {
          entry.pass = current;
          return entry.value;
        }
        const reads = new RecordedReads(this.#now, shared);
        const value = compute(reads);
        if (reads.reusable) this.#entries.set(key, { checks: reads.checks, value, pass: current });
        else this.#entries.delete(key);
        return value;
      },
    };
  }

  get size(): number {
    return this.#entries.size;
  }
}

export interface PassCache<V> {
  /** The kept answer for `key` while its reads are unchanged; otherwise `compute`'s, kept when it can be. */
  get(key: string, compute: (reads: RecordedReads) => V): V;
}

/**
 * A cache for a single pass of a one-shot command: its computations share their looks (`looks`: the pass's, which
 * the worktree listing shares too), and nothing is kept, so nothing is recorded either (no stamps to build; at
 * N = 500 they were a fifth of the ignore checks' time).
 */
export function singlePass<V>(options: { looks?: SharedLooks } = {}): PassCache<V> {
  const shared = options.looks ?? new SharedLooks();
  return { get: (_key, compute) => compute(new RecordedReads(Date.now, shared, false)) };
}

/**
 * Whether every check would see now what it saw then. `memo` (one per pass) makes a file shared by many
 * worktrees (`info/exclude`, the repo's config) cost one look per pass. A racy file never validates.
 */
export function stillValid(checks: readonly ReadCheck[], memo: Map<string, string>, now: () => number = Date.now, shared?: SharedLooks): boolean {
  for (const check of checks) {
    const key = check.summary === undefined ? `${check.op}\0${check.path}` : `${check.op}\0${check.summary.name}\0${check.path}`;
    let seen = memo.get(key);
    if (seen === undefined) {
      seen = check.summary === undefined ? lookNow(check, now(), shared) : summaryNow(check.path, check.summary);
      memo.set(key, seen);
    }
    if (seen !== check.seen) return false;
  }
  return true;
}

const SUMMARY_ERROR = '\0error:';

function summaryNow(path: string, summary: Summary): string {
  let bytes: Buffer | null;
  try {
    bytes = readRegularFileSync(path);
  } catch (error) {
    if (!isAbsent(error)) return `${SUMMARY_ERROR}${(error as NodeJS.ErrnoException).code ?? 'unknown'}`;
    bytes = null;
  }
  return summary.of(bytes);
}

/** `shared`: the pass's looks, so that a path checked both ways (lstat, then stat or read) costs one syscall. */
function lookNow(check: ReadCheck, nowMs: number, shared?: SharedLooks): string {
  try {
    const stats =
      shared !== undefined
        ? ((check.op === 'lstat' ? shared.stats('lstat', check.path) : shared.followed(check.path)) ?? undefined)
        : check.op === 'lstat'
          ? lstatSync(check.path, { throwIfNoEntry: false })
          : statSync(check.path, { throwIfNoEntry: false });
    if (check.op === 'resolve') return stats === undefined ? 'absent' : `${stampText(stats, 'identity')}>${check.seen.slice(check.seen.indexOf('>') + 1)}`;
    if (stats !== undefined && check.op === 'read' && changedRecently(stats, nowMs)) return 'racy';
    return stamp(check.op, stats ?? null);
  } catch (error) {
    return `error:${(error as NodeJS.ErrnoException).code ?? 'unknown'}`;
  }
}

/** An lstat or stat is used for a path's kind and owner: its identity; a read, everything a content change moves. */
function stamp(op: ReadOp, stats: Stats | null): string {
  return stats === null ? 'absent' : stampText(stats, op === 'read' ? 'content' : 'identity');
}
