/** Command-line parsing (node:util parseArgs, strict): unknown flags are usage errors, never ignored. */
import { parseArgs } from 'node:util';
import { isLogLevel } from '../util/logger.js';
import type { LevelWithSilent } from 'pino';
import { parseDuration } from '../config/duration.js';
import { ADAPTER_TOOLS, type AdapterTool } from '../init/adapters/types.js';

export const COMMANDS = [
  'plan', 'reconcile', 'status', 'daemon', 'service', 'init', 'release',
  'whoami', 'inbox', 'otp', 'link', 'env', 'exec', 'ravi', 'disown', 'mail', 'sms', 'history', 'dashboard', 'secrets', 'mcp', 'hook', 'help', 'version',
] as const;
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
  /** `init --superset`, `--local` (overlay file), `--force`, `--install CMD`. */
  readonly superset: boolean;
  readonly local: boolean;
  readonly force: boolean;
  readonly install: string | null;
  /** `init --claude | --conductor | --cursor | --codex | --worktrunk | --gtr`: the worktree tool to set up. */
  readonly tool: AdapterTool | null;
  /** Agent commands: `--unread`, `--wait 120s`, `--since-setup`, `--mark-read`, `--match RE`, `--reveal`. */
  readonly unread: boolean;
  readonly waitMs: number | null;
  readonly sinceSetup: boolean;
  readonly markRead: boolean;
  readonly match: RegExp | null;
  readonly reveal: boolean;
  /** `sms deliver --to --from --body`. */
  readonly to: string | null;
  readonly from: string | null;
  readonly body: string | null;
  /** `history --identity NAME --since 1d`. */
  readonly identity: string | null;
  readonly since: string | null;
  /** `dashboard --port N` (0 = any free port). */
  readonly port: number | null;
  /** `reconcile`/`daemon --take-over`: manage repos another state dir claimed. */
  readonly takeOver: boolean;
}

/** Every flag at its default: what `parseCliArgs` starts from, and what tests build contexts from. */
export function defaultCliArgs(command: CommandName, overrides: Partial<CliArgs> = {}): CliArgs {
  return {
    command, rest: [], configFile: null, repos: [], worktree: null, stateDir: null, json: false, logLevel: 'error', vault: null,
    lockWaitMs: null, dryRun: false, follow: false, superset: false, local: false, force: false, install: null, tool: null,
    unread: false, waitMs: null, sinceSetup: false, markRead: false, match: null, reveal: false, to: null, from: null, body: null, identity: null, since: null, port: null, takeOver: false,
    ...overrides,
  };
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
  superset: { type: 'boolean' },
  local: { type: 'boolean' },
  force: { type: 'boolean' },
  install: { type: 'string' },
  claude: { type: 'boolean' },
  conductor: { type: 'boolean' },
  cursor: { type: 'boolean' },
  codex: { type: 'boolean' },
  worktrunk: { type: 'boolean' },
  gtr: { type: 'boolean' },
  unread: { type: 'boolean' },
  wait: { type: 'string' },
  'since-setup': { type: 'boolean' },
  'mark-read': { type: 'boolean' },
  match: { type: 'string' },
  reveal: { type: 'boolean' },
  to: { type: 'string' },
  from: { type: 'string' },
  body: { type: 'string' },
  identity: { type: 'string' },
  since: { type: 'string' },
  port: { type: 'string' },
  'take-over': { type: 'boolean' },
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
    superset: values.superset ?? false,
    local: values.local ?? false,
    force: values.force ?? false,
    install: values.install ?? null,
    tool: parseTool(values),
    unread: values.unread ?? false,
    waitMs: parseWait(values.wait),
    sinceSetup: values['since-setup'] ?? false,
    markRead: values['mark-read'] ?? false,
    match: parseRegExp(values.match),
    reveal: values.reveal ?? false,
    to: values.to ?? null,
    from: values.from ?? null,
    body: values.body ?? null,
    identity: values.identity ?? null,
    since: values.since ?? null,
    port: parsePort(values.port),
    takeOver: values['take-over'] ?? false,
  };
}

function parseTool(values: Partial<Record<AdapterTool, boolean>>): AdapterTool | null {
  const given = ADAPTER_TOOLS.filter((tool) => values[tool] === true);
  if (given.length > 1) throw new UsageError(`init sets up one tool at a time (got ${given.map((t) => `--${t}`).join(' ')})`);
  return given[0] ?? null;
}

function parsePort(raw: string | undefined): number | null {
  if (raw === undefined) return null;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) throw new UsageError(`--port takes a port number from 0 to 65535 (got "${raw}")`);
  return port;
}

function parseSeconds(raw: string | undefined): number | null {
  if (raw === undefined) return null;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0) throw new UsageError(`--lock-wait takes a number of seconds (got "${raw}")`);
  return seconds * 1000;
}

function parseWait(raw: string | undefined): number | null {
  if (raw === undefined) return null;
  try {
    return parseDuration(/^\d+$/.test(raw) ? `${raw}s` : raw); // a bare number means seconds here
  } catch {
    throw new UsageError(`--wait takes a duration such as 120s or 2m (got "${raw}")`);
  }
}

function parseRegExp(raw: string | undefined): RegExp | null {
  if (raw === undefined) return null;
  try {
    return new RegExp(raw, 'i');
  } catch (error) {
    throw new UsageError(`--match is not a valid regular expression: ${(error as Error).message}`);
  }
}
