/**
 * `git worktree list --porcelain` answered in-process, from the files git itself reads: the daemon lists every
 * repo on every pass, and at N = 500 starting git for it cost ~30 ms of the daemon's own CPU (spawn is
 * synchronous) plus git's run. Follows git's worktree.c (get_main_worktree, get_linked_worktree,
 * worktree_lock_reason, should_prune_worktree) and builtin/worktree.c (list, show_worktree_porcelain: main first,
 * the linked ones sorted by path). Returns null whenever it cannot be sure of git's exact answer: a layout
 * locateWorktree does not understand, config it does not follow (config-facts.ts), an odd HEAD or ref
 * (head-refs.ts), a prunable entry (git words its reason, in the user's language), a relative gitdir, two paths
 * equal but for case under core.ignorecase. The caller then runs git.
 */
import { readdirSync, realpathSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { locateWorktree } from './locate-worktree.js';
import { readConfigFacts } from './config-facts.js';
import { PackedRefs, readHead } from './head-refs.js';
import { stillSame, StampedReads, type Dependency } from './stamped-reads.js';
import { SharedLooks } from '../files/shared-looks.js';
import type { RawWorktreeEntry } from './porcelain.js';
import { childPath } from '../util/child-path.js';

export interface ListedWorktree extends RawWorktreeEntry {
  /** The folder name under `<common-dir>/worktrees/`; null for the main worktree. */
  readonly adminId: string | null;
}

export interface InProcessListing {
  /** Absolute, symlink-free common dir. */
  readonly commonDir: string;
  /** In git's order: the main worktree first, then the linked ones by path. */
  readonly worktrees: readonly ListedWorktree[];
}

export interface ListingOptions {
  /** The clock the racy rule compares file times with (file-stamps.ts); tests move it. @default Date.now */
  readonly now?: () => number;
  /** The pass's looks, shared with its ignore checks (a worktree's `.git` and HEAD). @default looks of its own */
  readonly looks?: SharedLooks;
  /** The answers of the last listing, to re-check instead of re-reading (the daemon's); none: nothing is recorded. */
  readonly memory?: ListingMemory;
}

/**
 * Per common dir, each admin folder's answer with the files it rests on, from the last listing: a listing
 * re-checks those (one lstat each) and reads again only what changed. Each listing keeps only the folders it saw.
 * Held by whoever lists again (the daemon's PassMemory): a one-shot command keeps none and records nothing.
 */
export class ListingMemory {
  readonly #kept = new Map<string, ReadonlyMap<string, KeptAnswer>>();

  last(commonDir: string): ReadonlyMap<string, KeptAnswer> | undefined {
    return this.#kept.get(commonDir);
  }

  keep(commonDir: string, answers: ReadonlyMap<string, KeptAnswer>): void {
    this.#kept.set(commonDir, answers);
  }
}

interface KeptAnswer {
  readonly deps: readonly Dependency[];
  readonly answer: Answer;
}

export async function listWorktreesInProcess(repoPath: string, options: ListingOptions = {}): Promise<InProcessListing | null> {
  const located = await locateWorktree(repoPath).catch(() => null);
  if (located === null) return null;
  try {
    return listFromCommonDir(realpathSync.native(located.commonDir), (options.now ?? Date.now)(), options);
  } catch {
    return null; // a file that could not be read the way git reads it: git will say what it makes of it
  }
}

type Answer = ListedWorktree | 'skipped' | null;

/** What git prints for the repository whose (real) common dir is `commonDir`, or null when unsure. */
export function listFromCommonDir(commonDir: string, now: number, options: Pick<ListingOptions, 'looks' | 'memory'> = {}): InProcessListing | null {
  const facts = readConfigFacts(commonDir);
  if (facts === null) return null;
  const bare = facts.bare === true;
  // get_main_worktree: the common dir's real path with `/.git` dropped; is_bare from core.bare (any scope).
  if (!commonDir.endsWith('/.git') && !bare) return null; // --separate-git-dir and the like
  const mainPath = commonDir.endsWith('/.git') ? commonDir.slice(0, -'/.git'.length) : commonDir;
  const looks = options.looks ?? new SharedLooks();
  const { memory } = options;
  const packed = new PackedRefs(commonDir, looks);
  const before = memory?.last(commonDir);
  const after = new Map<string, KeptAnswer>();
  const answer = (key: string, compute: (reads: StampedReads) => Answer): Answer => {
    if (memory === undefined) return compute(new StampedReads(looks, null)); // nobody keeps it: nothing to record
    const last = before?.get(key);
    if (last !== undefined && stillSame(last.deps, looks, now)) {
      after.set(key, last);
      return last.answer;
    }
    const reads = new StampedReads(looks, now);
    const fresh = compute(reads);
    if (reads.reusable) after.set(key, { deps: reads.deps, answer: fresh });
    return fresh;
  };

  const main = bare
    ? entry(mainPath, null, { head: null, branch: null, detached: false, bare: true })
    : answer('\0main', (reads) => headEntry(mainPath, null, commonDir, commonDir, packed, reads));
  if (main === null || main === 'skipped') return null;
  const linked: ListedWorktree[] = [];
  for (const dirent of readAdminFolders(commonDir)) {
    if (dirent.isFile()) continue; // git reads `<file>/gitdir`, fails, and skips it
    if (!dirent.isDirectory()) return null; // a symlink or stranger: left to git
    const found = answer(dirent.name, (reads) => linkedWorktree(commonDir, dirent.name, packed, reads));
    if (found === null) return null;
    if (found !== 'skipped') linked.push(found);
  }
  memory?.keep(commonDir, after);
  const sorted = sortLikeGit(linked, facts.ignoreCase);
  return sorted === null ? null : { commonDir, worktrees: [main, ...sorted] };
}

/** One `<commonDir>/worktrees/<id>`; 'skipped' where git skips it too (no gitdir, or an empty one). */
export function linkedWorktree(commonDir: string, id: string, packed: PackedRefs, reads: StampedReads): Answer {
  const adminDir = childPath(commonDir, `worktrees/${id}`);
  const gitdir = reads.readOnce(childPath(adminDir, 'gitdir'));
  if (gitdir === undefined) return null;
  if (gitdir === null || gitdir === '') return 'skipped'; // half-made by a `git worktree add` under way
  // get_linked_worktree trims all trailing whitespace, should_prune_worktree only CR/LF: require they agree.
  const dotGit = gitdir.replace(/[\r\n]+$/, '');
  if (dotGit !== gitdir.replace(/[ \t\n\v\f\r]+$/, '') || !dotGit.startsWith('/') || !dotGit.endsWith('/.git')) return null;
  if (dotGit.includes('\0')) return null; // git's C string would end there
  const locked = reads.readUsuallyAbsent(childPath(adminDir, 'locked')); // git's worktree_lock_reason: file_exists first
  if (locked === undefined) return null;
  // Not locked and its `.git` is gone: prunable, with a reason git words (and translates) itself.
  if (locked === null && !reads.exists(dotGit)) return null;
  const lockReason = locked === null ? null : locked.replace(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, ''); // strbuf_trim
  if (lockReason?.includes('\0')) return null;
  const found = headEntry(dotGit.slice(0, -'/.git'.length), id, adminDir, commonDir, packed, reads);
  return found === null ? null : { ...found, locked: lockReason !== null, lockReason };
}

function headEntry(path: string, adminId: string | null, gitDir: string, commonDir: string, packed: PackedRefs, reads: StampedReads): ListedWorktree | null {
  const head = readHead(gitDir, commonDir, packed, reads);
  return head === undefined ? null : entry(path, adminId, { ...head, bare: false });
}

function entry(path: string, adminId: string | null, fields: Pick<RawWorktreeEntry, 'head' | 'branch' | 'detached' | 'bare'>): ListedWorktree {
  return { path, adminId, ...fields, locked: false, lockReason: null, prunable: false, prunableReason: null };
}

function readAdminFolders(commonDir: string): Dirent[] {
  try {
    return readdirSync(join(commonDir, 'worktrees'), { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []; // no linked worktree was ever added
    throw error;
  }
}

/**
 * builtin/worktree.c pathsort: fspathcmp, which is strcmp on the bytes, or strcasecmp (ASCII case folded) with
 * core.ignorecase. Null where git's qsort would leave the order open (two paths equal ignoring case).
 */
function sortLikeGit(worktrees: readonly ListedWorktree[], ignoreCase: boolean): ListedWorktree[] | null {
  const keyed = worktrees.map((worktree) => ({ worktree, key: Buffer.from(ignoreCase ? worktree.path.replace(/[A-Z]/g, (c) => c.toLowerCase()) : worktree.path) }));
  keyed.sort((a, b) => Buffer.compare(a.key, b.key));
  for (let i = 1; i < keyed.length; i++) {
    if (Buffer.compare((keyed[i - 1] as (typeof keyed)[number]).key, (keyed[i] as (typeof keyed)[number]).key) === 0) return null;
  }
  return keyed.map((k) => k.worktree);
}
