/** Stable exit codes (documented in the README). Only src/cli sets them. */
export const ExitCode = {
  /** Success; for `plan` and `reconcile`: everything is in sync. */
  OK: 0,
  /** An action failed or the command hit a runtime error (provider, git, file). */
  FAILURE: 1,
  /** `plan` only: changes are pending. */
  CHANGES_PENDING: 2,
  /** `otp`/`link`: no code or link found, or `--wait` timed out. */
  NOT_FOUND: 3,
  /** Another ravi-orchestrator held the state lock for longer than we waited. */
  LOCKED: 75,
  /** Bad command-line usage: unknown flag or command, missing value. */
  USAGE: 64,
  /** The configuration file is invalid or cannot be loaded. */
  CONFIG: 78,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
