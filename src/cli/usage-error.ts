/** The command line was used wrongly (unknown flag, bad value, wrong place to run): exit 64 with a hint. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  /** The command it concerns (`['service', 'logs']`), so the hint can point at its `--help`; empty for none. */
  readonly command: readonly string[];
  constructor(message: string, command: readonly string[] = []) {
    super(message);
    this.command = command;
  }
}
