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
import { readRegularFileSync } from '../files/recorded-reads.js';

const RACY_MS = 2_000;

export interface Dependency {
  readonly path: string;
  /** 'read': the file's stamp; 'exists': only whether something is there. */
  readonly kind: 'read' | 'exists';
  readonly seen: string;
}

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
    const look = lookNow(path, this.#now);
    if (look.racy) this.reusable = false;
    this.deps.push({ path, kind: 'read', seen: look.seen });
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

/** Whether every dependency still looks as it did; `memo` (one per listing) looks at a shared file once. */
export function stillSame(deps: readonly Dependency[], memo: Map<string, string>, now: number): boolean {
  for (const dep of deps) {
    const key = `${dep.kind}\0${dep.path}`;
    let seen = memo.get(key);
    if (seen === undefined) {
      seen = dep.kind === 'exists' ? existsNow(dep.path) : lookNow(dep.path, now).seenIfTrusted;
      memo.set(key, seen);
    }
    if (seen !== dep.seen) return false;
  }
  return true;
}

/** One lstat: the stamp, and whether it is too recent to trust later. */
export function lookNow(path: string, now: number): { seen: string; racy: boolean; seenIfTrusted: string } {
  try {
    const stats = lstatSync(path, { throwIfNoEntry: false });
    if (stats === undefined) return { seen: 'absent', racy: false, seenIfTrusted: 'absent' };
    const seen = `${stats.dev}:${stats.ino}:${stats.mode}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`;
    const racy = now - Math.max(stats.mtimeMs, stats.ctimeMs) < RACY_MS;
    return { seen, racy, seenIfTrusted: racy ? 'racy' : seen };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') return { seen: 'absent', racy: false, seenIfTrusted: 'absent' };
    return { seen: `error:${code ?? 'unknown'}`, racy: true, seenIfTrusted: 'racy' };
  }
}

function existsNow(path: string): string {
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
