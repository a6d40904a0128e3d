/**
 * Flag declarations (STYLE 10): each says how it is typed, what it means, its default and how it completes, and
 * turns what was typed into the value its handler reads. The parser, help, completions and the README's option
 * tables read these; nothing about a flag is written a second time.
 */
import { UsageError } from './usage-error.js';

export interface Flag<T> {
  /** 'boolean' flags take no value; 'string' flags take one (`--wait 2m` or `--wait=2m`). */
  readonly type: 'boolean' | 'string';
  readonly short?: string;
  /** Repeatable: `--repo a --repo b`. */
  readonly multiple?: boolean;
  /** The command refuses to run without it. */
  readonly required?: boolean;
  /** What the value is, in help and usage lines (`DURATION`, `FILE`). */
  readonly valueName?: string;
  readonly help: string;
  /** The default as help shows it (`120`, `the current folder`). */
  readonly defaultText?: string;
  /** The only values it takes: help lists them, completion offers them, the parser refuses others. */
  readonly choices?: readonly string[];
  /** What completion offers for the value when there are no choices. */
  readonly complete?: 'file' | 'dir';
  /** The handler's value from what was typed (undefined when absent). Throws a UsageError naming `--name`. */
  readonly parse: (raw: string | boolean | string[] | undefined, name: string) => T;
}

export type Flags = Readonly<Record<string, Flag<unknown>>>;

type CamelCase<S extends string> = S extends `${infer Head}-${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : S;

/** What a handler reads: `--since-setup` arrives as `sinceSetup`, typed by its declaration. */
export type FlagValues<F extends Flags> = { readonly [K in keyof F & string as CamelCase<K>]: F[K] extends Flag<infer T> ? T : never };

export function camelCase(name: string): string {
  return name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

interface Described {
  readonly help: string;
  readonly short?: string;
}

export function booleanFlag(spec: Described): Flag<boolean> {
  return { type: 'boolean', ...spec, parse: (raw) => raw === true };
}

interface StringSpec extends Described {
  readonly valueName: string;
  readonly defaultText?: string;
  readonly choices?: readonly string[];
  readonly complete?: 'file' | 'dir';
}

/** A flag that takes one text value; null when absent. */
export function stringFlag(spec: StringSpec): Flag<string | null> {
  return {
    type: 'string',
    ...spec,
    parse: (raw, name) => (typeof raw === 'string' ? checkChoice(raw, name, spec.choices) : null),
  };
}

/** A flag that must be given (help says so); a usage error naming it when absent. */
export function requiredFlag(spec: StringSpec): Flag<string> {
  return {
    type: 'string',
    ...spec,
    required: true,
    parse: (raw, name) => {
      if (typeof raw !== 'string') throw new UsageError(`--${name} ${spec.valueName} is required`);
      return checkChoice(raw, name, spec.choices);
    },
  };
}

/** A repeatable flag; an empty list when absent. */
export function listFlag(spec: StringSpec): Flag<readonly string[]> {
  return {
    type: 'string',
    multiple: true,
    ...spec,
    parse: (raw, name) => (Array.isArray(raw) ? raw.map((value) => checkChoice(value, name, spec.choices)) : []),
  };
}

interface ValueSpec<T> extends StringSpec {
  /** Converts the text; throws a UsageError (use `invalidValue`) when it does not fit. */
  readonly convert: (text: string, name: string) => T;
}

/** A flag whose value is converted (a duration, a port): `spec.default` when absent, else null. */
export function valueFlag<T>(spec: ValueSpec<T> & { readonly default: T }): Flag<T>;
export function valueFlag<T>(spec: ValueSpec<T>): Flag<T | null>;
export function valueFlag<T>(spec: ValueSpec<T> & { readonly default?: T }): Flag<T | null> {
  const { convert, default: fallback, ...rest } = spec;
  return {
    type: 'string',
    ...rest,
    parse: (raw, name) => (typeof raw === 'string' ? convert(checkChoice(raw, name, spec.choices), name) : (fallback ?? null)),
  };
}

/** The usage error for a value that does not fit: names the flag, what it takes and what was given. */
export function invalidValue(name: string, takes: string, got: string): UsageError {
  return new UsageError(`--${name} takes ${takes} (got ${JSON.stringify(got)})`);
}

function checkChoice(value: string, name: string, choices: readonly string[] | undefined): string {
  if (choices !== undefined && !choices.includes(value)) throw invalidValue(name, `one of ${choices.join(', ')}`, value);
  return value;
}

/** The option table node:util's parseArgs reads, built from the declarations. */
export function parseArgsOptions(flags: Flags): Record<string, { type: 'boolean' | 'string'; short?: string; multiple?: boolean }> {
  const options: Record<string, { type: 'boolean' | 'string'; short?: string; multiple?: boolean }> = {};
  for (const [name, flag] of Object.entries(flags)) {
    options[name] = { type: flag.type, ...(flag.short && { short: flag.short }), ...(flag.multiple && { multiple: true }) };
  }
  return options;
}
