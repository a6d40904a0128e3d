/**
 * The admin ids the git watch saw appear in each repo's `worktrees/` (sources/git-source.ts onAdded), kept until
 * the repo's next run names them to its focused pass (repo-pass.ts). A hint of where to look first, never the
 * truth: the full pass after it reads the whole repo whatever the hints said, so a lost hint costs only speed.
 */
export class AddedWorktrees {
  /** Repo -> admin id -> how many more runs may name it (while its `git worktree add` is still under way). */
  readonly #added = new Map<string, Map<string, number>>();

  /** A fresh sighting: the id may be named by this many runs. */
  note(repo: string, ids: readonly string[], runs = RUNS_PER_SIGHTING): void {
    if (runs <= 0) return;
    const known = this.#added.get(repo) ?? new Map<string, number>();
    for (const id of ids) known.set(id, Math.max(known.get(id) ?? 0, runs));
    this.#added.set(repo, known);
  }

  /**
   * The ids for the run of `repo` that begins now (none beyond `FOCUS_LIMIT`: a script adding many at once is
   * served by the full pass alone, which a focused pass first would only repeat), and a function to call with
   * the ids that run found still being added (locked, half-made), which the next run names again.
   */
  take(repo: string): { readonly ids: readonly string[]; unfinished(ids: readonly string[]): void } {
    const taken = this.#added.get(repo) ?? new Map<string, number>();
    this.#added.delete(repo);
    const ids = taken.size <= FOCUS_LIMIT ? [...taken.keys()] : [];
    return { ids, unfinished: (left) => left.forEach((id) => this.note(repo, [id], (taken.get(id) ?? 0) - 1)) };
  }

  /** Forgets repos no longer configured. */
  retain(repos: readonly string[]): void {
    for (const repo of [...this.#added.keys()]) if (!repos.includes(repo)) this.#added.delete(repo);
  }
}

/** The most admin ids one focused pass serves. */
const FOCUS_LIMIT = 16;
/** Runs that may name one new admin id: the first, and two more while its `git worktree add` is under way. */
const RUNS_PER_SIGHTING = 3;
