/** What an adapter is told and what it answers: files to write, nothing written yet. */

export const ADAPTER_TOOLS = ['claude', 'conductor', 'cursor', 'codex', 'worktrunk', 'gtr'] as const;
export type AdapterTool = (typeof ADAPTER_TOOLS)[number];

export interface AdapterContext {
  /** The main worktree (where the team's config lives and new worktrees check it out from). */
  readonly root: string;
  readonly commonDir: string;
  /** `--local`: the tool's per-user file instead of the shared one. */
  readonly local: boolean;
  /** The user's home, for tool files that live there (read only); null when unknown. */
  readonly home: string | null;
}

/** One file the adapter wants on disk, with what is there now decided. */
export interface PlannedFile {
  readonly path: string;
  /** The whole new text (what a dry run shows). */
  readonly content: string;
  readonly mode: number;
  readonly state: 'create' | 'update' | 'unchanged';
  /**
   * For git-config files: the `git config --add KEY VALUE` calls that produce `content`. Applied with git itself
   * (its lock file, its quoting) rather than by writing `content`.
   */
  readonly gitConfigAdds?: readonly (readonly [string, string])[];
}

export interface AdapterPlan {
  readonly files: readonly PlannedFile[];
  /** Patterns for `<commonDir>/info/exclude`: per-user files that must stay out of `git status`. */
  readonly exclude: readonly string[];
  /** Notes for the user: what to commit, what the tool will ask, what we could not keep. */
  readonly notes: readonly string[];
}

export interface Adapter {
  readonly tool: AdapterTool;
  /** The tool's name as its users know it. */
  readonly label: string;
  /** What `--local` writes, or null when the tool has no per-user file (then `--local` is refused). */
  readonly localTarget: string | null;
  plan(context: AdapterContext): Promise<AdapterPlan>;
}
