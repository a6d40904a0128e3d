/** Help text, rendered from the declarations: `<cmd> --help`, `help <cmd>`, and the top-level list. */
import type { AnyCommand, Command, CommandGroup, Positional } from './command.js';
import type { Flag } from './flags.js';
import { EXIT_CODES } from './exit-codes.js';
import { GLOBAL_FLAGS } from './global-flags.js';
import type { CommandName } from './registry.js';

export const PROGRAM = 'ravi-orchestrator';
const WIDTH = 100;

export const TAGLINE = 'every git worktree gets its own agent identity and an up-to-date .env';

export function renderHelp(path: readonly string[], target: AnyCommand): string {
  return target.kind === 'group' ? groupHelp(path, target) : commandHelp(path, target);
}

export function commandHelp(path: readonly string[], command: Command): string {
  const lines = [`Usage: ${usageLine(path, command)}`, '', ...wrap(command.description ?? sentence(command.summary), 0)];
  const args = (command.positionals ?? []).map((p) => [p.name + (p.variadic || p.passThrough ? '...' : ''), positionalText(p)] as const);
  if (args.length > 0) lines.push('', 'Arguments:', ...table(args));
  const own = Object.entries(command.flags);
  if (own.length > 0) lines.push('', 'Options:', ...table(own.map(([name, flag]) => [flagLabel(name, flag), flagText(flag)])));
  lines.push('', 'Global options:', ...table(Object.entries(GLOBAL_FLAGS).map(([name, flag]) => [flagLabel(name, flag), flagText(flag)])));
  if (command.examples !== undefined && command.examples.length > 0) lines.push('', 'Examples:', ...command.examples.map((e) => `  ${PROGRAM} ${e}`));
  return `${lines.join('\n')}\n`;
}

function groupHelp(path: readonly string[], group: CommandGroup): string {
  const verbs = Object.entries(group.subcommands).map(([verb, sub]) => [`${path.join(' ')} ${verb}`, sub.summary] as const);
  return `${[
    `Usage: ${PROGRAM} ${path.join(' ')} <${Object.keys(group.subcommands).join('|')}> [options]`,
    '',
    ...wrap(group.description ?? sentence(group.summary), 0),
    '',
    'Commands:',
    ...table(verbs),
    '',
    `Run \`${PROGRAM} ${path.join(' ')} <command> --help\` for its options.`,
  ].join('\n')}\n`;
}

export function topLevelHelp(commands: ReadonlyArray<readonly [CommandName, AnyCommand]>): string {
  const rows = commands.flatMap(([name, command]) =>
    command.kind === 'command'
      ? [[commandSynopsis(name, command), command.summary] as const]
      : Object.entries(command.subcommands).map(([verb, sub]) => [commandSynopsis(`${name} ${verb}`, sub), sub.summary] as const),
  );
  return `${[
    `${PROGRAM}: ${TAGLINE}`,
    '',
    `Usage: ${PROGRAM} <command> [options]`,
    `       ${PROGRAM} <command> --help    (or: ${PROGRAM} help <command>)`,
    '',
    'Commands:',
    ...table(rows),
    '',
    'Global options:',
    ...table(Object.entries(GLOBAL_FLAGS).map(([name, flag]) => [flagLabel(name, flag), flagText(flag)])),
    '',
    'Exit codes:',
    ...table(EXIT_CODES.map(({ code, meaning }) => [String(code), meaning])),
  ].join('\n')}\n`;
}

export function usageLine(path: readonly string[], command: Command): string {
  const positionals = command.positionals ?? [];
  const hasOptions = Object.keys(command.flags).length > 0;
  const words = positionals.map((p) => {
    const name = p.variadic || p.passThrough ? `${p.name}...` : p.name;
    const shown = p.passThrough ? `-- ${name}` : name;
    return p.optional ? `[${shown}]` : shown;
  });
  return [PROGRAM, ...path, ...(hasOptions ? ['[options]'] : []), ...words].join(' ');
}

/** `command KEY` as the top-level list shows it: positionals, no options. */
function commandSynopsis(name: string, command: Command): string {
  const positionals = (command.positionals ?? []).filter((p, i) => !p.optional || i === 0);
  const word = (p: Positional): string => {
    // A short list reads better than its name (`inbox [email|sms]`); a long one would fill the line.
    const shown = p.choices !== undefined && p.choices.join('|').length <= 20 ? p.choices.join('|') : p.passThrough ? `-- ${p.name}...` : p.name;
    return p.optional ? `[${shown}]` : shown;
  };
  return [name, ...positionals.map(word)].join(' ');
}

export function flagLabel(name: string, flag: Flag<unknown>): string {
  const long = `--${name}${flag.type === 'string' ? ` ${flag.valueName ?? 'VALUE'}` : ''}`;
  return flag.short ? `-${flag.short}, ${long}` : `    ${long}`;
}

export function flagText(flag: Flag<unknown>): string {
  const parts = [flag.help];
  if (flag.choices !== undefined) parts.push(`(${flag.choices.join(', ')})`);
  if (flag.multiple) parts.push('(repeatable)');
  if (flag.required) parts.push('(required)');
  if (flag.defaultText !== undefined) parts.push(`(default: ${flag.defaultText})`);
  return parts.join(' ');
}

export function positionalText(positional: Positional): string {
  const choices = positional.choices === undefined ? '' : ` (${positional.choices.join(', ')})`;
  return `${positional.help}${choices}${positional.optional ? ' (optional)' : ''}`;
}

function table(rows: ReadonlyArray<readonly [string, string]>): string[] {
  const width = Math.min(24, Math.max(...rows.map(([left]) => left.length)));
  return rows.flatMap(([left, right]) => {
    const indent = 2 + width + 2;
    const text = wrap(right, indent);
    if (left.length > width) return [`  ${left}`, ...text.map((line) => `${' '.repeat(indent)}${line.trimStart()}`)];
    return [`  ${left.padEnd(width)}  ${(text[0] ?? '').trimStart()}`, ...text.slice(1)];
  });
}

/** Words wrapped to WIDTH; lines after the first (and the first when indent is 0) carry `indent` spaces. */
function wrap(text: string, indent: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(' ')) {
      if (line !== '' && indent + line.length + 1 + word.length > WIDTH) {
        lines.push(line);
        line = word;
      } else line = line === '' ? word : `${line} ${word}`;
    }
    lines.push(line);
  }
  return lines.map((line, i) => (i === 0 && indent > 0 ? line : `${' '.repeat(indent)}${line}`));
}

function sentence(summary: string): string {
  return `${summary.charAt(0).toUpperCase()}${summary.slice(1)}.`;
}

/** The help `--help`, `-h`, `help [command]` or a bare `ravi-orchestrator` asks for. */
export async function helpText(path: readonly string[], target: AnyCommand | null): Promise<string> {
  if (target !== null) return renderHelp(path, target);
  const { loadAllCommands } = await import('./registry.js');
  return topLevelHelp(await loadAllCommands());
}
