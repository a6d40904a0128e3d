/**
 * Looks at files that many computations of one pass rest on, taken once per pass and shared between them: every
 * worktree's ignore answer rests on the repository's config, its `info/exclude`, `objects/`, `refs/` and the real
 * path of the common dir, and at N = 500 looking at those again for each worktree was half of the syscalls of a
 * no-op pass (issue 16). Each computation still records what it saw (recorded-reads.ts); only the looking is shared.
 *
 * One pass only: two looks a few milliseconds apart within a pass are one snapshot of the disk, as a pass never saw
 * two files at the same instant anyway; a look is never carried into the next pass. Errors other than absence are
 * never kept: the next caller looks again and meets them itself.
 */
import { closeSync, fstatSync, lstatSync, openSync, realpathSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { isAbsent, openFlags, readOpenFile } from './regular-file.js';

export class SharedLooks {
  /** By kind, then path: no key string built per look. */
  readonly #stats = { lstat: new Map<string, Stats | null>(), stat: new Map<string, Stats | null>() };
  readonly #summaries = new Map<string, string>();
  readonly #realpaths = new Map<string, string>();
  /** Bytes of plain files read whole by readPlain, for a later reader of the same path in this pass. */
  readonly #plainBytes = new Map<string, Buffer>();
  /** largeBuffer's, grown to the largest size asked for in this pass. */
  #large: Buffer | null = null;

  /**
   * A buffer of at least `size` bytes for a large file that is read only to be scanned (a worktree's git index:
   * RecordedReads.scan), the same one for the whole pass: its pages are faulted in once, not once a worktree.
   * Its bytes are the last scan's until the next one; it goes with the pass.
   */
  largeBuffer(size: number): Buffer {
    if (this.#large === null || this.#large.length < size) this.#large = Buffer.allocUnsafeSlow(Math.max(size, 2 * (this.#large?.length ?? 0)));
    return this.#large;
  }

  /** lstat or stat (null when absent), once per path and kind in this pass. */
  stats(op: 'lstat' | 'stat', path: string): Stats | null {
    const seen = this.#stats[op];
    let stats = seen.get(path);
    if (stats === undefined) {
      const options = { throwIfNoEntry: false } as const;
      stats = (op === 'lstat' ? lstatSync(path, options) : statSync(path, options)) ?? null;
      seen.set(path, stats);
    }
    return stats;
  }

  /** What lstat would see at `path`, taken by other means (the fstat of a handle opened without following it). */
  sawLstat(path: string, stats: Stats | null): void {
    this.#stats.lstat.set(path, stats);
  }

  /**
   * A small file read once for the pass, without following a symlink and without blocking (a FIFO): its bytes
   * when it is a plain file, null when absent, undefined when it is not a plain file or cannot be opened (its
   * lstat is then the way to tell what it is). The handle's fstat is the path's lstat and is kept as one; the
   * bytes are kept for plainBytes. For a file one reader only needs to see (a worktree's `.git`, for the
   * listing) and another reads next (the ignore proof's layout): one open where an lstat and an open were.
   */
  readPlain(path: string): Buffer | null | undefined {
    const kept = this.#plainBytes.get(path);
    if (kept !== undefined) return kept;
    let fd: number;
    try {
      fd = openSync(path, openFlags(true));
    } catch (error) {
      if (!isAbsent(error)) return undefined; // ELOOP (a symlink), ENXIO (a socket), EACCES: for an lstat to judge
      this.#stats.lstat.set(path, null);
      return null;
    }
    try {
      const stats = fstatSync(fd);
      this.#stats.lstat.set(path, stats);
      if (!stats.isFile()) return undefined;
      const bytes = readOpenFile(fd, stats.size);
      this.#plainBytes.set(path, bytes);
      return bytes;
    } catch {
      return undefined;
    } finally {
      closeSync(fd);
    }
  }

  /** The bytes readPlain found at `path` in this pass, when it found a plain file there. */
  plainBytes(path: string): Buffer | undefined {
    return this.#plainBytes.get(path);
  }

  /**
   * What `path` leads to (its stat, null when absent), from its lstat when it is not a symlink: a path looked at
   * both ways (a `.git` file's kind, then its stamp) costs one syscall.
   */
  followed(path: string): Stats | null {
    const own = this.stats('lstat', path);
    return own !== null && !own.isSymbolicLink() ? own : this.stats('stat', path);
  }

  /** A summary of a file's bytes under `key`, computed once in this pass; `keep` says whether this one may be shared. */
  summary(key: string, compute: () => string, keep: (seen: string) => boolean): string {
    let seen = this.#summaries.get(key);
    if (seen === undefined) {
      seen = compute();
      if (keep(seen)) this.#summaries.set(key, seen);
    }
    return seen;
  }

  /**
   * realpath, with the real path of every folder on the way kept for the pass: the admin folders of 500 worktrees
   * share `<repo>/.git/worktrees`, so each costs one lstat instead of realpath(3)'s readlink of every component.
   * A path whose last part is a plain name that is not a symlink resolves to its folder's real path plus that name;
   * anything else (a symlink, `.` or `..`, a relative path) goes to the system's realpath, which also throws its
   * errors (ENOENT, ENOTDIR, ELOOP) exactly as before.
   */
  realpath(path: string): string {
    let resolved = this.#realpaths.get(path);
    if (resolved !== undefined) return resolved;
    const name = basename(path);
    const plain = isAbsolute(path) && name !== '' && name !== '.' && name !== '..' && !path.endsWith('/');
    const stats = plain ? this.stats('lstat', path) : null;
    resolved = stats !== null && !stats.isSymbolicLink() ? join(this.realpath(dirname(path)), name) : realpathSync.native(path);
    this.#realpaths.set(path, resolved);
    return resolved;
  }
}
