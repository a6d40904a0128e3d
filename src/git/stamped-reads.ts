/**
 * The worktree listing's reads of git's files. With a listing memory (the daemon's, kept in PassMemory), each read
 * notes the file's stamp so that the answer built from it can be kept and re-checked on the next pass by one
 * lstat per file instead of a read (about 14 calls into the kernel per worktree otherwise). Without one (a
 * one-shot command) nothing is noted: it has nothing to reuse.
 *
 * Stamps and the racy rule are file-stamps.ts's, shared with the ignore checks' recorded reads. What differs here,
 * on purpose: stamps are numbers (compared field by field, no string built per look), and they are what lstat
 * sees, since these readers refuse symlinks (opened with O_NOFOLLOW): a read is stamped by the fstat of its own
 * handle, which then is the file's lstat, taken before the bytes (a change in between leaves a stamp older than
 * the bytes, which the next look rejects). Every look goes through the pass's SharedLooks, and a read leaves its
 * look there too: the ignore check of the same pass looks at a worktree's `.git` and HEAD again.
 */
import { closeSync, fstatSync, openSync, type Stats } from 'node:fs';
import { changedRecently, numericStamp, sameNumericStamp, type NumericStamp } from '../files/file-stamps.js';
import { openFlags, readOpenFile, readRegularFileSync, readSmallFileSync } from '../files/regular-file.js';
import type { SharedLooks } from '../files/shared-looks.js';

export interface Dependency {
  readonly path: string;
  /** 'read': the file's stamp; 'exists': only whether something is there. */
  readonly kind: 'read' | 'exists';
  readonly seen: Seen;
}

/** What a look saw: a read's stamp, or a word. */
export type Seen = NumericStamp | 'absent' | 'present' | 'error' | 'racy';

export class StampedReads {
  readonly deps: Dependency[] = [];
  /** False once something was read that a later look could not tell apart from a change. */
  reusable = true;
  readonly #looks: SharedLooks;
  /** The racy rule's clock; null: record nothing (no one keeps this answer). */
  readonly #now: number | null;

  constructor(looks: SharedLooks, now: number | null) {
    this.#looks = looks;
    this.#now = now;
  }

  /** readOptional's answer (text, null when absent, undefined when not a readable plain file), stamped by its fstat. */
  read(path: string): string | null | undefined {
    const { text, stats } = readAndLook(path, this.#looks);
    if (this.#now !== null) this.add(readDependency(path, stats));
    return text;
  }

  /**
   * read() of a file no other reader of the pass looks at (an admin folder's gitdir, a loose ref). Recording
   * nothing (a one-shot pass), it leaves no look and takes no fstat (regular-file.ts, readSmallFileSync): the same
   * answer, one call and one fs.Stats fewer.
   */
  readOnce(path: string): string | null | undefined {
    if (this.#now !== null) return this.read(path);
    try {
      return readSmallFileSync(path, { noFollow: true }).toString('utf8');
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ENOENT' ? null : undefined; // as readNoFollow answers
    }
  }

  /**
   * read() of a file that is nearly always absent (a worktree's `locked`): an lstat that finds nothing costs less
   * than an open that fails, for which Node builds an exception. Recorded as that read would be.
   */
  readUsuallyAbsent(path: string): string | null | undefined {
    let stats: Stats | null;
    try {
      stats = this.#looks.stats('lstat', path);
    } catch {
      return this.read(path); // ENOTDIR, EACCES: the read meets it too and says what it makes of it
    }
    if (stats !== null) return this.read(path);
    if (this.#now !== null) this.deps.push({ path, kind: 'read', seen: 'absent' });
    return null;
  }

  /**
   * Whether lstat finds something at `path` (git's file_exists). Recording nothing (a one-shot pass), a plain file
   * is read whole instead (SharedLooks.readPlain): the worktree's `.git`, which the same pass's ignore proof reads
   * next, then costs one open instead of an lstat and an open. Anything else is judged by its lstat, as before.
   */
  exists(path: string): boolean {
    if (this.#now === null) {
      const plain = this.#looks.readPlain(path);
      if (plain !== undefined) return plain !== null;
    }
    const seen = presence(this.#looks, path);
    if (this.#now !== null) this.deps.push({ path, kind: 'exists', seen });
    return seen === 'present';
  }

  /** A dependency (a read taken once for many answers: packed-refs); one that cannot be trusted later voids reuse. */
  add(dependency: Dependency): void {
    if (this.#now === null) return;
    const { seen } = dependency;
    if (seen === 'error' || (typeof seen === 'object' && changedRecently(seen, this.#now))) this.reusable = false;
    this.deps.push(dependency);
  }
}

/** Whether every dependency still looks as it did, through the pass's looks (a file shared by many answers costs one). */
export function stillSame(deps: readonly Dependency[], looks: SharedLooks, now: number): boolean {
  for (const dep of deps) {
    const seen = dep.kind === 'exists' ? presence(looks, dep.path) : lookNow(looks, dep.path, now);
    if (typeof seen !== 'object' || typeof dep.seen !== 'object' ? seen !== dep.seen || seen === 'racy' || seen === 'error' : !sameNumericStamp(seen, dep.seen)) return false;
  }
  return true;
}

/** One lstat, as a read would have been stamped; a file changed within the racy window reads 'racy' (never equal). */
function lookNow(looks: SharedLooks, path: string, now: number): Seen {
  let stats: Stats | null;
  try {
    stats = looks.stats('lstat', path);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOTDIR' ? 'absent' : 'error';
  }
  return stats === null ? 'absent' : changedRecently(stats, now) ? 'racy' : stats;
}

/** A file read once for many answers (packed-refs): its text, and the dependency each of those answers records. */
export function readShared(path: string, looks: SharedLooks): { text: string | null | undefined; dependency: Dependency } {
  const { text, stats } = readAndLook(path, looks);
  return { text, dependency: readDependency(path, stats) };
}

/** readNoFollow, leaving its look in the pass's looks: the fstat of a handle opened without following is the lstat. */
function readAndLook(path: string, looks: SharedLooks): { text: string | null | undefined; stats: Stats | null | undefined } {
  const read = readNoFollow(path);
  if (read.stats !== undefined) looks.sawLstat(path, read.stats);
  return read;
}

function readDependency(path: string, stats: Stats | null | undefined): Dependency {
  return { path, kind: 'read', seen: stats === undefined ? 'error' : stats === null ? 'absent' : numericStamp(stats) };
}

function presence(looks: SharedLooks, path: string): 'present' | 'absent' {
  try {
    return looks.stats('lstat', path) === null ? 'absent' : 'present';
  } catch {
    return 'absent'; // ENOTDIR and the like: git's lstat fails too
  }
}

/**
 * readOptional's answer with the fstat of the handle it read through (null when absent, undefined when the open
 * or the fstat failed). Opened without following a symlink (ELOOP) and non-blocking (a FIFO must not block).
 */
function readNoFollow(path: string): { text: string | null | undefined; stats: Stats | null | undefined } {
  let fd: number;
  try {
    fd = openSync(path, openFlags(true));
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? { text: null, stats: null } : { text: undefined, stats: undefined };
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) return { text: undefined, stats };
    try {
      return { text: readOpenFile(fd, stats.size).toString('utf8'), stats };
    } catch {
      return { text: undefined, stats: undefined };
    }
  } catch {
    return { text: undefined, stats: undefined };
  } finally {
    closeSync(fd);
  }
}

/**
 * The file's text; null when it does not exist; undefined when it is not a plain file (a directory, a FIFO, or a
 * symlink: the files backend reads a symlinked ref as a symbolic ref, which is left to git) or cannot be read.
 */
export function readOptional(path: string): string | null | undefined {
  try {
    return readRegularFileSync(path, { noFollow: true }).toString('utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? null : undefined;
  }
}
