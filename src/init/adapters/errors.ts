/** A tool's config file that we must not build on: unreadable, malformed, or a shape the tool would reject. */
export class AdapterConfigError extends Error {
  override readonly name = 'AdapterConfigError';
  readonly code = 'ADAPTER_CONFIG_INVALID';
  /** The file at fault, absolute. */
  readonly file: string;
  constructor(file: string, problem: string, options?: { cause?: unknown }) {
    super(`${file}: ${problem}. Nothing was written.`, options);
    this.file = file;
  }
}

/** The existing config holds something ours cannot coexist with (another WorktreeCreate hook, a script path). */
export class AdapterConflictError extends Error {
  override readonly name = 'AdapterConflictError';
  readonly code = 'ADAPTER_CONFLICT';
  readonly file: string;
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}. Nothing was written.`);
    this.file = file;
  }
}
