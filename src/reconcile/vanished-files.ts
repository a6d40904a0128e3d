/**
 * The daemon's files that vanished since its last pass are not written again at once.
 *
 * `git worktree remove` deletes the worktree's folder one entry at a time, then the folder. A `.env` that a pass
 * writes back in that window makes the folder's last rmdir fail ("Directory not empty"): git then reports the
 * remove as failed and leaves the folder behind with our file in it. The window is when a daemon looks: the run
 * right after it wrote the `.env` (the very file a worktree tool waits for before it may remove the worktree
 * again), or the pass a deletion's own event starts.
 *
 * So a file of ours that the daemon's last pass saw or left in place, and that is gone now, marks its worktree
 * as settling: the planner leaves that worktree's files alone (its lease stays as it is) until the file has
 * stayed gone for `settleMs`. By then a removal has taken the worktree out of git's list, and its lease ends
 * as any gone worktree's does; a `.env` deleted by hand is written again then. A file that was never there
 * (a new worktree) is written at once, and one-shot passes (`reconcile`) keep no memory: they write at once.
 */
import type { ActionResult } from './apply.js';
import type { Observed, ObservedWorktree } from './observed.js';

/** Long enough for git to delete a worktree of a few thousand files, short enough for a hand-deleted `.env`. */
export const VANISHED_SETTLE_MS = 2000;

export interface HeldObservation {
  readonly observed: Observed;
  /** When the soonest settling worktree may be written (epoch ms); null when none is settling. */
  readonly settlingUntil: number | null;
}

export class VanishedFiles {
  /** Files the last pass saw or left in place. */
  #present = new Set<string>();
  /** File -> when a pass first found it gone. */
  readonly #goneSince = new Map<string, number>();
  readonly #settleMs: number;

  constructor(settleMs = VANISHED_SETTLE_MS) {
    this.#settleMs = settleMs;
  }

  /** `observed` with each worktree whose file vanished less than `settleMs` ago marked settling. */
  hold(observed: Observed): HeldObservation {
    let settlingUntil: number | null = null;
    const repos = observed.repos.map((repo) => {
      let held = false;
      const worktrees = repo.worktrees.map((worktree) => {
        const until = this.#settleEnd(worktree, observed.now);
        if (until === null) return worktree;
        held = true;
        settlingUntil = settlingUntil === null ? until : Math.min(settlingUntil, until);
        return { ...worktree, settling: true };
      });
      return held ? { ...repo, worktrees } : repo;
    });
    return { observed: settlingUntil === null ? observed : { ...observed, repos }, settlingUntil };
  }

  /**
   * After a pass: the files it saw or wrote. A full pass (`complete`) replaces what is known; a focused one adds
   * its worktrees' files. A settling worktree's files count as still there until they are written again.
   */
  record(observed: Observed, results: readonly ActionResult[], complete: boolean): void {
    const written = new Set<string>();
    for (const { action, status } of results) {
      if (status === 'done' && (action.type === 'write-env' || action.type === 'write-scoped-key')) written.add(action.file);
    }
    const present = complete ? new Set<string>() : this.#present;
    for (const repo of observed.repos) {
      for (const worktree of repo.worktrees) {
        for (const [path, there] of filesOf(worktree)) {
          if (there || written.has(path) || (worktree.settling === true && this.#present.has(path))) present.add(path);
        }
      }
    }
    this.#present = present;
    for (const path of this.#goneSince.keys()) if (!present.has(path) || written.has(path)) this.#goneSince.delete(path);
  }

  #settleEnd(worktree: ObservedWorktree, now: number): number | null {
    if (!worktree.managed) return null;
    let end: number | null = null;
    for (const [path, there] of filesOf(worktree)) {
      if (there || !this.#present.has(path)) {
        this.#goneSince.delete(path);
        continue;
      }
      const since = this.#goneSince.get(path) ?? now;
      this.#goneSince.set(path, since);
      if (now < since + this.#settleMs) end = Math.max(end ?? 0, since + this.#settleMs);
    }
    return end;
  }
}

/** The worktree's files of ours that observe read: path -> whether it is there (a file it cannot use counts as there). */
function filesOf(worktree: ObservedWorktree): Array<[string, boolean]> {
  const files: Array<[string, boolean]> = [];
  if (worktree.env !== null) files.push([worktree.env.path, worktree.env.content !== null || worktree.env.error !== null]);
  if (worktree.scoped !== null) files.push([worktree.scoped.path, worktree.scoped.exists]);
  return files;
}
