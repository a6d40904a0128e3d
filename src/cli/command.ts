/**
 * What one command module declares (STYLE 10, after gh's `pkg/cmd/<noun>/<verb>`): its flags, positionals and
 * handler. The parser, `--help`, usage errors, shell completions and the README's tables all read this.
 * A module imports only declarations at load; its handler imports the engine on demand, so parsing and help
 * stay cheap (see registry.ts).
 */
import type { ExitCodeValue } from './exit-codes.js';
import type { FlagValues, Flags } from './flags.js';
import type { GlobalFlags } from './global-flags.js';
import type { CliIo } from './io.js';

export interface Positional {
  /** As usage lines show it: `KEY`, `SHELL`, `CMD`. */
  readonly name: string;
  readonly help: string;
  readonly optional?: boolean;
  /** Takes every remaining argument. */
  readonly variadic?: boolean;
  /** The only values it takes; help lists them, completion offers them, the parser refuses others. */
  readonly choices?: readonly string[];
  /** From here on nothing is read as a flag of ours: `exec -- node -e 1` passes `-e` on to node. */
  readonly passThrough?: boolean;
  /** What completion offers when there are no choices. */
  readonly complete?: 'file' | 'dir' | 'command';
}

export interface CommandInput<F extends Flags> {
  /** The words that named the command: `['otp']`, `['service', 'install']`. */
  readonly path: readonly string[];
  readonly flags: FlagValues<F & GlobalFlags>;
  readonly positionals: readonly string[];
  readonly io: CliIo;
}

export interface Command<F extends Flags = Flags> {
  readonly kind: 'command';
  /** One line for the command list (lower case, no final period). */
  readonly summary: string;
  /** More for `--help`: what it does, what it prints, its exit codes. */
  readonly description?: string;
  readonly flags: F;
  readonly positionals?: readonly Positional[];
  /** Command lines (without the program name) for `--help`. */
  readonly examples?: readonly string[];
  /**
   * It changes identities or files: when stdout is closed (`| head`) the work still finishes and its own
   * exit code stands. Read-only commands simply stop, exit 0.
   */
  readonly finishesWhenStdoutCloses?: boolean;
  // Method syntax: a command with its own flag type still fits where any Command is expected.
  run(input: CommandInput<F>): Promise<ExitCodeValue>;
}

export interface CommandGroup {
  readonly kind: 'group';
  readonly summary: string;
  readonly description?: string;
  /** Each verb is a command of its own, with its own flags: `service logs --follow`, `secrets set --allow-empty`. */
  readonly subcommands: Readonly<Record<string, Command>>;
}

export type AnyCommand = Command | CommandGroup;

export function defineCommand<F extends Flags>(spec: Omit<Command<F>, 'kind'>): Command<F> {
  return { kind: 'command', ...spec };
}

export function defineGroup(spec: Omit<CommandGroup, 'kind'>): CommandGroup {
  return { kind: 'group', ...spec };
}
