/**
 * A file's stamp, and the rule for when a stamp may be trusted later: the one mechanism behind every answer a
 * long-lived process keeps and re-checks instead of re-reading (the ignore checks' recorded reads,
 * recorded-reads.ts; the worktree listing's stamped reads, git/stamped-reads.ts).
 *
 * A file's identity is (dev, ino, mode, uid); its content stamp adds (size, mtime, ctime). A content change always
 * moves ctime, but within one tick of the file system's clock two writes of the same size can leave every field
 * equal: git's "racily clean" index entries (Documentation/technical/racy-git.txt), solved the same way: a file
 * changed less than RACY_MS before the look is not trusted later.
 *
 * What differs between the two users, on purpose, is how they look (recorded reads stamp a read through the open
 * handle, which follows a symlink, and stat or lstat as asked; the listing refuses symlinks, so its stamps are
 * what lstat sees) and how they hold a stamp: as text (stampText: compared and memoised with summaries and
 * resolved paths, all strings) or as numbers (NumericStamp: compared field by field, no string built per look).
 */

/** Generous against clock skew between the kernel's coarse file clock and Date.now. */
export const RACY_MS = 2_000;

/** The fields of a stat that a stamp is made of (fs.Stats has them all). */
export interface StampFields {
  readonly dev: number;
  readonly ino: number;
  readonly mode: number;
  readonly uid: number;
  readonly size: number;
  /** Milliseconds as doubles keep about a quarter of a microsecond: finer than the kernel's clock tick. */
  readonly mtimeMs: number;
  readonly ctimeMs: number;
}

/** Changed within RACY_MS of `nowMs`: a later look could not tell a same-size rewrite from no change. */
export function changedRecently(stats: Pick<StampFields, 'mtimeMs' | 'ctimeMs'>, nowMs: number): boolean {
  return nowMs - Math.max(stats.mtimeMs, stats.ctimeMs) < RACY_MS;
}

/** A content stamp as numbers: a copy of the fields, so that the stat it came from can be let go. */
export type NumericStamp = StampFields;

export function numericStamp(stats: StampFields): NumericStamp {
  return { dev: stats.dev, ino: stats.ino, mode: stats.mode, uid: stats.uid, size: stats.size, mtimeMs: stats.mtimeMs, ctimeMs: stats.ctimeMs };
}

export function sameNumericStamp(a: NumericStamp, b: NumericStamp): boolean {
  return a.ino === b.ino && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.size === b.size && a.mode === b.mode && a.dev === b.dev && a.uid === b.uid;
}

/**
 * A stamp as text. 'identity' for a look used for a path's kind and owner (is it a folder, a plain file, ours?):
 * a folder gaining a file must not void what was read about it. 'content' for a read: everything a change moves.
 */
export function stampText(stats: StampFields, fields: 'identity' | 'content'): string {
  const identity = `${stats.dev}:${stats.ino}:${stats.mode}:${stats.uid}`;
  return fields === 'identity' ? identity : `${identity}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`;
}
