/**
 * Error classes the engine classifies by (never by message text).
 * Every error keeps its `cause`; messages name what failed and, where there is one, the fix.
 */

/** A failure that retrying will not fix (bad credentials, payment required, bad config). */
export class TerminalError extends Error {
  override readonly name: string = 'TerminalError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export type ProviderErrorCode =
  | 'UNAUTHORIZED' // 401/403: bad or missing key
  | 'PAYMENT_REQUIRED' // 402
  | 'NOT_FOUND' // 404
  | 'CONFLICT' // 409
  | 'RATE_LIMITED' // 429 after retries ran out
  | 'SERVER' // 5xx after retries ran out
  | 'NETWORK' // connection refused/reset, timeout
  | 'BAD_RESPONSE' // malformed JSON or unexpected shape
  | 'BAD_REQUEST' // other 4xx
  | 'VAULT_NOT_FOUND'
  | 'NOT_CONFIGURED'; // e.g. missing credentials file

/** A provider call failed. Names the method, path, status, attempt count and worktree. */
export class ProviderError extends Error {
  override readonly name: string = 'ProviderError';
  readonly code: ProviderErrorCode;
  readonly status: number | null;
  readonly method: string | null;
  readonly path: string | null;
  readonly attempts: number;
  /** True when retrying later may succeed (network, 5xx, 429). */
  readonly transient: boolean;
  constructor(
    message: string,
    details: {
      code: ProviderErrorCode;
      status?: number | null;
      method?: string | null;
      path?: string | null;
      attempts?: number;
      transient?: boolean;
      cause?: unknown;
    },
  ) {
    super(message, { cause: details.cause });
    this.code = details.code;
    this.status = details.status ?? null;
    this.method = details.method ?? null;
    this.path = details.path ?? null;
    this.attempts = details.attempts ?? 1;
    this.transient = details.transient ?? false;
  }
}

/** Invalid configuration: names the file, the key and what is wrong. */
export class ConfigError extends Error {
  override readonly name: string = 'ConfigError';
  readonly file: string | null;
  readonly issues: readonly string[];
  constructor(message: string, details: { file: string | null; issues?: readonly string[]; cause?: unknown }) {
    super(message, { cause: details.cause });
    this.file = details.file;
    this.issues = details.issues ?? [];
  }
}

/** A git command failed: names the repo and the command. */
export class GitError extends Error {
  override readonly name: string = 'GitError';
  readonly repo: string;
  readonly command: string;
  constructor(message: string, details: { repo: string; command: string; cause?: unknown }) {
    super(message, { cause: details.cause });
    this.repo = details.repo;
    this.command = details.command;
  }
}

/** A worktree's env file cannot be written safely (tracked, not ignorable, a directory, unsafe value). */
export class EnvFileError extends Error {
  override readonly name: string = 'EnvFileError';
  readonly file: string;
  constructor(message: string, details: { file: string; cause?: unknown }) {
    super(message, { cause: details.cause });
    this.file = details.file;
  }
}

/** Whether an error may go away on its own (retry later) rather than needing a person. */
export function isTransient(error: unknown): boolean {
  return error instanceof ProviderError && error.transient;
}
