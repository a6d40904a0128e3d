/** Command-line parsing (node:util parseArgs, strict): unknown flags are usage errors, never ignored. */
import { parseArgs } from 'node:util';
import { isLogLevel } from '../util/logger.js';
import type { LevelWithSilent } from 'pino';

export const COMMANDS = ['plan', 'reconcile', 'status', 'daemon', 'service', 'secrets', 'help', 'version'] as const;
export type CommandName = (typeof COMMANDS)[number];

export interface CliArgs {
  readonly command: CommandName;
  /** Positionals after the command (e.g. `secrets set KEY`). */
  readonly rest: readonly string[];
  readonly configFile: string | null;
  readonly repos: readonly string[];
  readonly worktree: string | null;
  readonly stateDir: string | null;
  readonly json: boolean;
  readonly logLevel: LevelWithSilent;
  readonly vault: string | null;
  readonly lockWaitMs: number | null;
  /** `service install --dry-run`: print what would be written and run. */
  readonly dryRun: boolean;
  /** `service logs --follow`. */
  readonly follow: boolean;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  repo: { type: 'string', multiple: true },
  worktree: { type: 'string' },
  'state-dir': { type: 'string' },
  json: { type: 'boolean' },
  'log-level': { type: 'string' },
  vault: { type: 'string' },
  'lock-wait': { type: 'string' },
  'dry-run': { type: 'boolean' },
  follow: { type: 'boolean', short: 'f' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

export function parseCliArgs(argv: readonly string[]): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const [first, ...rest] = positionals;
  const command = values.help ? 'help' : values.version ? 'version' : (first ?? 'help');
  if (!(COMMANDS as readonly string[]).includes(command)) {
    throw new UsageError(`Unknown command "${command}". Commands: ${COMMANDS.join(', ')}`);
  }
  // Human output already reports failures; logs are for --log-level info/debug and the daemon.
  const logLevel = values['log-level'] ?? 'error';
  if (!isLogLevel(logLevel)) throw new UsageError(`--log-level must be one of fatal, error, warn, info, debug, trace, silent (got "${logLevel}")`);
  return {
    command: command as CommandName,
    rest: first === undefined || values.help || values.version ? positionals : rest,
    configFile: values.config ?? null,
    repos: values.repo ?? [],
    worktree: values.worktree ?? null,
    stateDir: values['state-dir'] ?? null,
    json: values.json ?? false,
    logLevel,
    vault: values.vault ?? null,
    lockWaitMs: parseSeconds(values['lock-wait']),
    dryRun: values['dry-run'] ?? false,
    follow: values.follow ?? false,
  };
}

function parseSeconds(raw: string | undefined): number | null {
  if (raw === undefined) return null;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0) throw new UsageError(`--lock-wait takes a number of seconds (got "${raw}")`);
  return seconds * 1000;
}
