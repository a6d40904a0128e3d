/**
 * Parser for `git worktree list --porcelain -z`. Pure: no I/O, so it is tested with tables.
 *
 * Format (git >= 2.36): every field ends with NUL and every entry ends with one more NUL (an empty field).
 * A field is `<name>` or `<name> <value>`; values are raw bytes, never quoted, so paths and reasons may hold
 * spaces, newlines and non-ASCII text. Unknown fields are skipped so a newer git does not break us.
 */
import type { Worktree } from './types.js';

/** One entry as git prints it, before the admin id and main-ness are resolved (field docs: Worktree). */
export type RawWorktreeEntry = Omit<Worktree, 'isMain' | 'adminId'>;

type MutableEntry = { -readonly [K in keyof RawWorktreeEntry]: RawWorktreeEntry[K] };

export function parseWorktreePorcelainZ(output: string): RawWorktreeEntry[] {
  const entries: RawWorktreeEntry[] = [];
  let current: MutableEntry | null = null;
  const flush = (): void => {
    if (current !== null) entries.push(current);
    current = null;
  };

  for (const field of output.split('\0')) {
    if (field === '') {
      flush(); // end of an entry (or the trailing split remainder)
      continue;
    }
    const space = field.indexOf(' ');
    const name = space === -1 ? field : field.slice(0, space);
    const value = space === -1 ? null : field.slice(space + 1);

    if (name === 'worktree') {
      flush(); // tolerate a missing entry terminator
      current = emptyEntry(value ?? '');
      continue;
    }
    if (current === null) continue; // a field outside any entry: nothing to attach it to
    applyField(current, name, value);
  }
  flush();
  return entries;
}

function applyField(entry: MutableEntry, name: string, value: string | null): void {
  switch (name) {
    case 'HEAD':
      entry.head = value === null || /^0+$/.test(value) ? null : value;
      break;
    case 'branch':
      entry.branch = value;
      break;
    case 'detached':
      entry.detached = true;
      break;
    case 'bare':
      entry.bare = true;
      break;
    case 'locked':
      entry.locked = true;
      entry.lockReason = value ?? '';
      break;
    case 'prunable':
      entry.prunable = true;
      entry.prunableReason = value ?? '';
      break;
    default:
      break; // forward compatible: fields added by a newer git are ignored
  }
}

function emptyEntry(path: string): MutableEntry {
  return {
    path,
    head: null,
    branch: null,
    detached: false,
    bare: false,
    locked: false,
    lockReason: null,
    prunable: false,
    prunableReason: null,
  };
}
