/**
 * Reads that note what one lstat saw of each file just before reading it, so that an answer built from them
 * can be kept and reused while one lstat per file still sees the same (identity, kind, size, mtime, ctime): the
 * worktree listing re-checks 5 files per worktree instead of reading them (about 14 calls into the kernel).
 * Same rule as recorded-reads.ts and git's racy-git.txt: a file changed within RACY_MS of the look is never
 * trusted later (two same-size writes within one tick of the file clock leave every field equal).
 * lstat, not stat: the readers here refuse symlinks (readOptional opens with O_NOFOLLOW), so the link itself is
 * what must not change.
 */
import { lstatSync } from 'node:fs';
import { readRegularFileSync } from '../files/regular-file.js';

const RACY_MS = 2_000;

export interface Dependency {
  readonly path: string;
  /** 'read': the file's stamp; 'exists': only whether something is there. */
  readonly kind: 'read' | 'exists';
  readonly seen: Seen;
  /** Looked at by many answers in one listing (packed-refs): looked at once, through the listing's memo. */
  readonly shared?: boolean;
}

/** What one lstat saw: the stamp's fields (numbers: no string is built per look), or a word. */
export type Seen = { readonly dev: number; readonly ino: number; readonly mode: number; readonly size: number; readonly mtimeMs: number; readonly ctimeMs: number } | 'absent' | 'present' | 'error' | 'racy';

export class StampedReads {
  readonly deps: Dependency[] = [];
  /** False once something was read that a later look could not tell apart from a change. */
  reusable = true;
  readonly #now: number;

  constructor(now: number) {
    this.#now = now;
  }

  /** readOptional's answer (text, null when absent, undefined when not a readable plain file), stamped first. */
  read(path: string): string | null | undefined {
    const seen = lookNow(path, this.#now, false);
    if (seen === 'error' || (typeof seen === 'object' && isRacy(seen, this.#now))) this.reusable = false;
    this.deps.push({ path, kind: 'read', seen });
    return readOptional(path);
  }

  /** Whether lstat finds something at `path` (git's file_exists). */
  exists(path: string): boolean {
    const seen = existsNow(path);
    this.deps.push({ path, kind: 'exists', seen });
    return seen === 'present';
  }

  /** A dependency taken by someone else's look (a file shared by many answers, looked at once). */
  add(dependency: Dependency, racy: boolean): void {
    if (racy) this.reusable = false;
    this.deps.push(dependency);
  }
}

/** Whether every dependency still looks as it did; `memo` (one per listing) holds the looks at shared files. */
export function stillSame(deps: readonly Dependency[], memo: Map<string, Seen>, now: number): boolean {
  for (const dep of deps) {
    let seen = dep.shared === true ? memo.get(dep.path) : undefined;
    if (seen === undefined) {
      seen = dep.kind === 'exists' ? existsNow(dep.path) : lookNow(dep.path, now, true);
      if (dep.shared === true) memo.set(dep.path, seen);
    }
    if (!sameSeen(seen, dep.seen)) return false;
  }
  return true;
}

/** One lstat. `distrustRecent`: a file changed within RACY_MS reads as 'racy' (never equal to a kept look). */
export function lookNow(path: string, now: number, distrustRecent: boolean): Seen {
  try {
    const stats = lstatSync(path, { throwIfNoEntry: false });
    if (stats === undefined) return 'absent';
    const seen = { dev: stats.dev, ino: stats.ino, mode: stats.mode, size: stats.size, mtimeMs: stats.mtimeMs, ctimeMs: stats.ctimeMs };
    return distrustRecent && isRacy(seen, now) ? 'racy' : seen;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOTDIR' ? 'absent' : 'error';
  }
}

export function isRacy(seen: Seen, now: number): boolean {
  return typeof seen !== 'object' ? seen === 'error' || seen === 'racy' : now - Math.max(seen.mtimeMs, seen.ctimeMs) < RACY_MS;
}

function sameSeen(a: Seen, b: Seen): boolean {
  if (typeof a !== 'object' || typeof b !== 'object') return a === b && a !== 'racy' && a !== 'error';
  return a.ino === b.ino && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.size === b.size && a.mode === b.mode && a.dev === b.dev;
}

function existsNow(path: string): Seen {
  try {
    return lstatSync(path, { throwIfNoEntry: false }) === undefined ? 'absent' : 'present';
  } catch {
    return 'absent'; // ENOTDIR and the like: git's lstat fails too
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
