/**
 * What shell completion needs to know, read from the command declarations: for each command path its verbs,
 * flags (which take a value, and what completes that value) and positionals. The bash, zsh and fish scripts
 * are generated from this, so they cannot disagree with the parser.
 */
import type { AnyCommand, Command } from '../command.js';
import type { Flag } from '../flags.js';
import { GLOBAL_FLAGS } from '../global-flags.js';

/** What completes a value: a fixed list, files, folders, program names, or nothing we can guess. */
export type ValueCompletion = { readonly kind: 'words'; readonly words: readonly string[] } | { readonly kind: 'file' | 'dir' | 'command' | 'none' };

export interface CompletionFlag {
  readonly long: string;
  readonly short: string | null;
  readonly help: string;
  /** Null for a boolean flag. */
  readonly value: ValueCompletion | null;
}

export interface CompletionNode {
  /** `''` for the top level, `'otp'`, `'service install'`. */
  readonly path: string;
  readonly summary: string;
  readonly verbs: ReadonlyArray<{ readonly name: string; readonly summary: string }>;
  readonly flags: readonly CompletionFlag[];
  readonly positionals: readonly ValueCompletion[];
  /** Index of the positional from which everything is passed on (exec's CMD), or -1. */
  readonly passThroughAt: number;
}

export function completionModel(commands: ReadonlyArray<readonly [string, AnyCommand]>): CompletionNode[] {
  const top: CompletionNode = {
    path: '',
    summary: '',
    verbs: commands.map(([name, command]) => ({ name, summary: command.summary })),
    flags: flagsOf({}),
    positionals: [],
    passThroughAt: -1,
  };
  const nodes: CompletionNode[] = [top];
  for (const [name, command] of commands) {
    if (command.kind === 'command') nodes.push(leaf(name, command));
    else {
      const verbs = Object.entries(command.subcommands);
      nodes.push({ path: name, summary: command.summary, verbs: verbs.map(([verb, sub]) => ({ name: verb, summary: sub.summary })), flags: flagsOf({}), positionals: [], passThroughAt: -1 });
      for (const [verb, sub] of verbs) nodes.push(leaf(`${name} ${verb}`, sub));
    }
  }
  return nodes;
}

function leaf(path: string, command: Command): CompletionNode {
  const positionals = command.positionals ?? [];
  return {
    path,
    summary: command.summary,
    verbs: [],
    flags: flagsOf(command.flags),
    positionals: positionals.map((p): ValueCompletion => (p.choices ? { kind: 'words', words: p.choices } : { kind: p.complete ?? 'none' })),
    passThroughAt: positionals.findIndex((p) => p.passThrough === true),
  };
}

function flagsOf(own: Readonly<Record<string, Flag<unknown>>>): CompletionFlag[] {
  return Object.entries({ ...own, ...GLOBAL_FLAGS }).map(([long, flag]) => ({
    long,
    short: flag.short ?? null,
    help: flag.help,
    value: flag.type === 'boolean' ? null : flag.choices ? { kind: 'words', words: flag.choices } : { kind: flag.complete ?? 'none' },
  }));
}

/** Every spelling of a flag: `--config`, `-c`. */
export function spellings(flag: CompletionFlag): string[] {
  return flag.short === null ? [`--${flag.long}`] : [`--${flag.long}`, `-${flag.short}`];
}
