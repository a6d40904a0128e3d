/**
 * argv → the command it names, its typed flag values and positionals, from the declarations alone (node:util
 * parseArgs reads the tokens). Unknown flags and commands are usage errors that suggest the near miss, and a
 * flag another command owns is refused with that command's name.
 */
import { parseArgs } from 'node:util';
import type { AnyCommand, Command, CommandGroup, Positional } from './command.js';
import { camelCase, parseArgsOptions, type Flags } from './flags.js';
import { GLOBAL_FLAGS } from './global-flags.js';
import { COMMAND_NAMES, isCommandName, loadAllCommands, loadCommand } from './registry.js';
import { UsageError } from './usage-error.js';

export type ParsedCommandLine =
  | { readonly kind: 'run'; readonly path: readonly string[]; readonly command: Command; readonly flags: Record<string, unknown>; readonly positionals: readonly string[] }
  /** `--help`, `-h`, or no command at all: help for `target` (null: the top level). */
  | { readonly kind: 'help'; readonly path: readonly string[]; readonly target: AnyCommand | null };

export async function parseCommandLine(argv: readonly string[]): Promise<ParsedCommandLine> {
  const head = splitWord(argv, []);
  if (head.word === null) {
    if (head.version) return parseLeaf(['version'], (await loadCommand('version')) as Command, head.rest);
    return { kind: 'help', path: [], target: null };
  }
  if (!isCommandName(head.word)) throw await unknownCommand(head.word);
  const command = await loadCommand(head.word);
  if (command.kind === 'command') return parseLeaf([head.word], command, head.rest, head.help);
  return parseGroup(head.word, command, head.rest, head.help);
}

async function parseGroup(name: string, group: CommandGroup, args: readonly string[], help: boolean): Promise<ParsedCommandLine> {
  const verbs = Object.keys(group.subcommands);
  const next = splitWord(args, [name]);
  if (next.word === null) {
    if (help || next.help) return { kind: 'help', path: [name], target: group };
    throw new UsageError(`${name} needs one of: ${verbs.join(', ')}`, [name]);
  }
  const sub = Object.hasOwn(group.subcommands, next.word) ? group.subcommands[next.word] : undefined;
  if (sub === undefined) {
    const hint = await nearMiss(next.word, verbs);
    throw new UsageError(`unknown ${name} command "${next.word}"${hint ? `; did you mean ${name} ${hint}?` : ''} (${name} takes ${verbs.join(', ')})`, [name]);
  }
  return parseLeaf([name, next.word], sub, next.rest, help || next.help);
}

interface Split {
  /** The first word that is not a flag, or null. */
  readonly word: string | null;
  /** Everything else, global flags included, for the command's own parse. */
  readonly rest: readonly string[];
  readonly help: boolean;
  readonly version: boolean;
}

/** Before the command word only global flags may come (`ravi-orchestrator --log-level debug plan`). */
function splitWord(args: readonly string[], path: readonly string[]): Split {
  const globals: string[] = [];
  let help = false;
  let version = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--help' || arg === '-h') help = true;
    else if (path.length === 0 && (arg === '--version' || arg === '-v')) version = true;
    else if (arg === '--log-level') {
      globals.push(arg, ...args.slice(i + 1, i + 2));
      i++;
    } else if (arg.startsWith('--log-level=')) globals.push(arg);
    else if (arg === '--') return { word: null, rest: [...globals, ...args.slice(i)], help, version };
    else if (arg.startsWith('-') && arg !== '-') {
      const flag = arg.split('=')[0] as string;
      const where = path.length === 0 ? '<command>' : `${path.join(' ')} <command>`;
      throw new UsageError(`${flag} goes after the command: ravi-orchestrator ${where} ${flag}`, path);
    } else return { word: arg, rest: [...globals, ...args.slice(i + 1)], help, version };
  }
  return { word: null, rest: globals, help, version };
}

async function parseLeaf(path: readonly string[], command: Command, args: readonly string[], help = false): Promise<ParsedCommandLine> {
  const flags: Flags = { ...command.flags, ...GLOBAL_FLAGS };
  const declared = command.positionals ?? [];
  const passAt = declared.findIndex((p) => p.passThrough === true);
  const { tokens } = parseArgs({ args: [...args], options: parseArgsOptions(flags), strict: false, allowPositionals: true, tokens: true });
  const raw: Record<string, string | boolean | string[]> = {};
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'option-terminator') {
      if (passAt >= 0) {
        positionals.push(...args.slice(token.index + 1));
        break;
      }
      continue;
    }
    if (token.kind === 'positional') {
      if (passAt >= 0 && positionals.length >= passAt) {
        positionals.push(...args.slice(token.index));
        break;
      }
      positionals.push(token.value);
      continue;
    }
    const flag = Object.hasOwn(flags, token.name) ? flags[token.name] : undefined;
    if (flag === undefined) throw await unknownFlag(path, token.rawName, flags);
    if (flag.type === 'boolean') {
      if (token.inlineValue) throw new UsageError(`${token.rawName} takes no value (got "${token.rawName}=${token.value ?? ''}")`, path);
      raw[token.name] = true;
      continue;
    }
    // parseArgs (strict: false) takes the next word as the value even when it is another flag.
    if (token.value === undefined || (!token.inlineValue && token.value.startsWith('-') && token.value !== '-')) {
      throw new UsageError(`${token.rawName} needs a value (${flag.valueName ?? 'VALUE'})`, path);
    }
    raw[token.name] = flag.multiple ? [...((raw[token.name] as string[] | undefined) ?? []), token.value] : token.value;
  }
  if (help || raw['help'] === true) return { kind: 'help', path, target: command };
  await checkPositionals(declared, positionals, path);
  const values: Record<string, unknown> = {};
  for (const [name, flag] of Object.entries(flags)) values[camelCase(name)] = withPath(() => flag.parse(raw[name], name), path);
  return { kind: 'run', path, command, flags: values, positionals };
}

async function checkPositionals(declared: readonly Positional[], given: readonly string[], path: readonly string[]): Promise<void> {
  const name = path.join(' ');
  for (const [index, positional] of declared.entries()) {
    const value = given[index];
    if (value === undefined) {
      if (!positional.optional) throw new UsageError(`${name} needs ${positional.name} (${positional.help})`, path);
      continue;
    }
    if (positional.choices !== undefined && !positional.choices.includes(value)) {
      const hint = await nearMiss(value, positional.choices);
      throw new UsageError(`${name} takes ${positional.choices.join(' or ')} as ${positional.name} (got "${value}")${hint ? `; did you mean ${hint}?` : ''}`, path);
    }
  }
  const takesRest = declared.some((p) => p.variadic === true || p.passThrough === true);
  if (!takesRest && given.length > declared.length) {
    const extra = given.slice(declared.length).join(' ');
    throw new UsageError(declared.length === 0 ? `${name} takes no arguments (got "${extra}")` : `${name} takes at most ${declared.length} argument(s) (extra: "${extra}")`, path);
  }
}

function withPath<T>(parse: () => T, path: readonly string[]): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof UsageError && error.command.length === 0) throw new UsageError(error.message, path);
    throw error;
  }
}

async function unknownCommand(word: string): Promise<UsageError> {
  const hint = await nearMiss(word, COMMAND_NAMES);
  return new UsageError(`unknown command "${word}"${hint ? `; did you mean ${hint}?` : ''}`);
}

/** A typo gets the near miss; a flag that belongs elsewhere names its owners. */
async function unknownFlag(path: readonly string[], rawName: string, known: Flags): Promise<UsageError> {
  const name = path.join(' ');
  const long = rawName.startsWith('--') ? rawName.slice(2) : null;
  const hint = long === null ? null : await nearMiss(long, Object.keys(known));
  if (hint !== null) return new UsageError(`unknown flag ${rawName} for ${name}; did you mean --${hint}?`, path);
  const owners = long === null ? [] : await commandsTaking(long);
  if (owners.length > 0) return new UsageError(`${rawName} is not a flag of ${name} (${owners.join(', ')} ${owners.length === 1 ? 'takes' : 'take'} it)`, path);
  return new UsageError(`unknown flag ${rawName} for ${name}`, path);
}

async function commandsTaking(flag: string): Promise<string[]> {
  const owners: string[] = [];
  for (const [name, command] of await loadAllCommands()) {
    const leaves: Array<[string, Command]> = command.kind === 'command' ? [[name, command]] : Object.entries(command.subcommands).map(([verb, sub]) => [`${name} ${verb}`, sub]);
    for (const [path, leaf] of leaves) if (Object.hasOwn(leaf.flags, flag)) owners.push(path);
  }
  return owners;
}

/** The typo's near miss (util/closest.ts), loaded only for a command line that has one. */
async function nearMiss(word: string, candidates: readonly string[]): Promise<string | null> {
  return (await import('../util/closest.js')).closest(word, candidates);
}
