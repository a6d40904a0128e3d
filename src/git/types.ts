/** One entry of `git worktree list --porcelain -z`, with the admin id resolved. */
export interface Worktree {
  /** Absolute path of the worktree's folder, as git reports it. */
  readonly path: string;
  /** Commit checked out, or null for a bare entry or an unborn branch. */
  readonly head: string | null;
  /** Full ref (`refs/heads/feat/x`), or null when detached or bare. */
  readonly branch: string | null;
  readonly detached: boolean;
  readonly bare: boolean;
  readonly locked: boolean;
  /** Reason given to `git worktree lock --reason`, '' when locked without one. */
  readonly lockReason: string | null;
  /** Git considers the entry stale (its folder is gone). */
  readonly prunable: boolean;
  readonly prunableReason: string | null;
  /** The first entry: the main worktree (or the bare repo itself). */
  readonly isMain: boolean;
  /**
   * The folder name under `<common-dir>/worktrees/`; stable across `git worktree move`.
   * Null for the main worktree.
   */
  readonly adminId: string | null;
}

/** Everything observed about one repository's worktrees in one pass. */
export interface RepoInventory {
  /** Absolute path of the git common dir (`.git` of the main repo); the repo's identity key. */
  readonly commonDir: string;
  /** Path of the main worktree (or the bare repo folder). */
  readonly mainPath: string;
  /** Basename of the main worktree, used as `{repo}` in templates. */
  readonly repoName: string;
  readonly worktrees: readonly Worktree[];
}

/** How git sees the files we write into a worktree. */
export interface IgnoreStatus {
  /** Relative path (as given) -> ignored by git (and not tracked). */
  readonly ignored: ReadonlyMap<string, boolean>;
  /** Relative paths that are tracked in the index. */
  readonly tracked: ReadonlySet<string>;
  /**
   * Paths not ignored yet that git will ignore once `<commonDir>/info/exclude` ends with a line covering them
   * (ignore-fast-path.ts, ignoredOnceExcluded); absent when the proof found none.
   */
  readonly ignoredOnceExcluded?: { readonly commonDir: string; readonly paths: ReadonlySet<string> };
}
