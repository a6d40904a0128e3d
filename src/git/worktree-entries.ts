/**
 * Named entries of `git worktree list`, read in-process without listing the others: the daemon learns from its
 * watch which admin ids just appeared under `<common-dir>/worktrees/`, and answers them first (a focused pass)
 * at a cost that does not grow with the number of worktrees. Each entry is read exactly as the full in-process
 * listing reads it (worktree-list-fs.ts linkedWorktree, after git's worktree.c get_linked_worktree), so its path,
 * HEAD, branch and lock are the ones the full listing gives; whatever that reader is not sure of is left out, and
 * the full pass that follows answers it (from git when needed).
 */
import { lstatSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { locateWorktree } from './locate-worktree.js';
import { readConfigFacts } from './config-facts.js';
import { PackedRefs } from './head-refs.js';
import { StampedReads } from './stamped-reads.js';
import { SharedLooks } from '../files/shared-looks.js';
import { repoNameOf } from './repo-name.js';
import { linkedWorktree, type ListedWorktree } from './worktree-list-fs.js';
import type { RepoInventory, Worktree } from './types.js';

export interface NamedEntries {
  /** The repo's inventory with only the plain, unlocked entries among those named (none is the main worktree). */
  readonly inventory: RepoInventory;
  /** Named ids left out, with why. */
  readonly skipped: ReadonlyMap<string, SkipReason>;
}

/**
 * Why a named entry is left to the full pass. 'half-made' and 'locked' are what a `git worktree add` still under
 * way looks like (it holds `locked` until its checkout is done, and writes gitdir after making the folder).
 */
export type SkipReason = 'gone' | 'half-made' | 'locked' | 'not plain' | 'not an admin id' | 'released by teardown';

/**
 * The entries `adminIds` name in the repo at `repoPath`; null when the repo itself is not plain (its layout,
 * config or main worktree not understood in-process: the caller then makes no focused pass at all).
 */
export async function readNamedWorktrees(repoPath: string, adminIds: readonly string[]): Promise<NamedEntries | null> {
  const located = await locateWorktree(repoPath).catch(() => null);
  if (located === null) return null;
  let commonDir: string;
  try {
    commonDir = realpathSync.native(located.commonDir); // as listWorktreesInProcess: the same key for each worktree
  } catch {
    return null;
  }
  const facts = readConfigFacts(commonDir);
  if (facts === null) return null;
  const bare = facts.bare === true;
  // get_main_worktree, as worktree-list-fs.ts: a `.git` folder's parent, or the bare repo itself.
  if (!commonDir.endsWith('/.git') && !bare) return null;
  const mainPath = bare ? commonDir : commonDir.slice(0, -'/.git'.length);
  const looks = new SharedLooks();
  const packed = new PackedRefs(commonDir, looks);
  const worktrees: Worktree[] = [];
  const skipped = new Map<string, SkipReason>();
  for (const id of new Set(adminIds)) {
    const why = entryProblem(commonDir, id);
    if (why !== null) {
      skipped.set(id, why);
      continue;
    }
    let found: ListedWorktree | 'skipped' | null;
    try {
      found = linkedWorktree(commonDir, id, packed, new StampedReads(looks, null)); // nobody keeps these answers
    } catch {
      found = null;
    }
    if (found === null || found === 'skipped') skipped.set(id, found === null ? 'not plain' : 'half-made');
    else if (found.locked) skipped.set(id, 'locked');
    else worktrees.push({ ...found, isMain: false });
  }
  return { inventory: { commonDir, mainPath, repoName: repoNameOf(mainPath, bare), worktrees }, skipped };
}

/** Why `<commonDir>/worktrees/<id>` is not a plain admin folder to read, or null when it is one. */
function entryProblem(commonDir: string, id: string): SkipReason | null {
  // An admin id is one folder name (git's worktree.c); anything else did not come from a readdir of worktrees/.
  if (id === '' || id === '.' || id === '..' || id.includes('/') || id.includes('\0')) return 'not an admin id';
  try {
    const stats = lstatSync(join(commonDir, 'worktrees', id), { throwIfNoEntry: false });
    if (stats === undefined) return 'gone';
    if (stats.isFile()) return 'gone'; // git reads `<file>/gitdir`, fails, and skips it
    return stats.isDirectory() ? null : 'not plain';
  } catch {
    return 'gone';
  }
}
