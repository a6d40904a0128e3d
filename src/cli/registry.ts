/**
 * Every command, in the order help lists them, each loaded only when named: `version` and `otp` must not pay
 * for the daemon, the dashboard or the SMTP server.
 *
 * To add a command:
 *   1. write src/cli/commands/<name>.ts: `export default defineCommand({ summary, flags, positionals, run })`
 *      (or `defineGroup({ summary, subcommands })` for verbs such as `service install`); take shared flags from
 *      shared-flags.ts, import the engine inside `run` (await import) so loading the module stays cheap;
 *   2. add one line below.
 * The parser, `--help`, `help <name>`, usage errors, completions (`completion bash|zsh|fish`) and the README's
 * reference (scripts/cli-reference.mjs, checked by test/unit/cli-reference.test.ts) read the declaration.
 */
import type { AnyCommand } from './command.js';

export const COMMANDS = {
  plan: () => import('./commands/plan.js'),
  reconcile: () => import('./commands/reconcile.js'),
  status: () => import('./commands/status.js'),
  daemon: () => import('./commands/daemon.js'),
  service: () => import('./commands/service.js'),
  init: () => import('./commands/init.js'),
  hook: () => import('./commands/hook.js'),
  release: () => import('./commands/release.js'),
  disown: () => import('./commands/disown.js'),
  whoami: () => import('./commands/whoami.js'),
  inbox: () => import('./commands/inbox.js'),
  otp: () => import('./commands/otp.js'),
  link: () => import('./commands/link.js'),
  mcp: () => import('./commands/mcp.js'),
  env: () => import('./commands/env.js'),
  exec: () => import('./commands/exec.js'),
  ravi: () => import('./commands/ravi.js'),
  history: () => import('./commands/history.js'),
  dashboard: () => import('./commands/dashboard.js'),
  mail: () => import('./commands/mail.js'),
  sms: () => import('./commands/sms.js'),
  secrets: () => import('./commands/secrets.js'),
  completion: () => import('./commands/completion.js'),
  help: () => import('./commands/help.js'),
  version: () => import('./commands/version.js'),
} satisfies Record<string, () => Promise<{ readonly default: AnyCommand }>>;

export type CommandName = keyof typeof COMMANDS;

export const COMMAND_NAMES = Object.keys(COMMANDS) as CommandName[];

export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

export async function loadCommand(name: CommandName): Promise<AnyCommand> {
  return (await COMMANDS[name]()).default;
}

/** Every command, for the top-level help, completions and the README (each module is small). */
export async function loadAllCommands(): Promise<Array<readonly [CommandName, AnyCommand]>> {
  return Promise.all(COMMAND_NAMES.map(async (name) => [name, await loadCommand(name)] as const));
}
