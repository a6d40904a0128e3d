/** Stable exit codes (help and the README list EXIT_CODES). Only src/cli sets them. */
export const ExitCode = {
  /** Success; for `plan` and `reconcile`: everything is in sync. */
  OK: 0,
  /** An action failed or the command hit a runtime error (provider, git, file). */
  FAILURE: 1,
  /** `plan` only: changes are pending. */
  CHANGES_PENDING: 2,
  /** `otp`/`link`: no code or link found, or `--wait` timed out. */
  NOT_FOUND: 3,
  /** Bad command-line usage: unknown flag or command, missing value, an agent command outside a worktree. */
  USAGE: 64,
  /** Another ravi-orchestrator held the state lock for longer than we waited. */
  LOCKED: 75,
  /** The configuration file is invalid or cannot be loaded. */
  CONFIG: 78,
  /** `exec`: the program exists but cannot be run (as sh and env(1) report it). */
  CANNOT_EXECUTE: 126,
  /** `exec`: no such program (as sh and env(1) report it). */
  COMMAND_NOT_FOUND: 127,
  /** Interrupted (Ctrl-C at a prompt): 128 + SIGINT, as shells report it. */
  INTERRUPTED: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** What each code means, for `help` and the README's table. */
export const EXIT_CODES: ReadonlyArray<{ readonly code: number; readonly meaning: string }> = [
  { code: ExitCode.OK, meaning: 'success; `plan`/`reconcile`: everything is in sync; also when the reader of stdout closed it (`| head`)' },
  { code: ExitCode.FAILURE, meaning: 'an action failed or a check refused (the summary and `--json` say which); runtime error' },
  { code: ExitCode.CHANGES_PENDING, meaning: '`plan` only: changes are pending' },
  { code: ExitCode.NOT_FOUND, meaning: '`otp`/`link`: no code or link found, or `--wait` timed out' },
  { code: ExitCode.USAGE, meaning: 'usage error: unknown command or flag, bad flag value, an agent command outside a worktree, an empty secret' },
  { code: ExitCode.LOCKED, meaning: 'another run held the state lock for longer than `--lock-wait`, or another daemon already runs for this state dir' },
  { code: ExitCode.CONFIG, meaning: 'invalid configuration: the message names the file, the key and what is wrong' },
  { code: ExitCode.CANNOT_EXECUTE, meaning: '`exec`: the program cannot be run (not executable); otherwise `exec` exits with the program\'s own code' },
  { code: ExitCode.COMMAND_NOT_FOUND, meaning: '`exec`: no such program; `ravi`: the `ravi` CLI is not installed' },
  { code: ExitCode.INTERRUPTED, meaning: 'interrupted at a prompt (Ctrl-C); `exec`: 128 + the signal that ended the program' },
];
