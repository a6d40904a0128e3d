/**
 * TOML config files (Conductor, the Codex app, worktrunk): edited in place so comments, key order and string
 * styles survive. Two libraries, each for what it does best: smol-toml (spec-compliant, precise errors) reads and
 * checks, @decimalturn/toml-patch rewrites only what changed. The patched text must read back, by smol-toml, as
 * exactly the value we meant; anything else is refused rather than written. Comments that the patch could not
 * keep (those inside a table we had to turn into a list) are counted and reported.
 */
import { isDeepStrictEqual } from 'node:util';
import { parse as parseStrict, TomlError } from 'smol-toml';
import { parse as parseForPatch, patch } from '@decimalturn/toml-patch';
import { AdapterConfigError } from './errors.js';

export type TomlTable = Record<string, unknown>;

export interface TomlEdit {
  readonly content: string;
  readonly changed: boolean;
  /** Comment lines of the old text that the new text no longer has. */
  readonly droppedComments: number;
}

/** Reads TOML, refusing a malformed file with smol-toml's line, column and reason. */
export function parseToml(text: string, file: string): TomlTable {
  try {
    return parseStrict(text) as TomlTable;
  } catch (error) {
    if (error instanceof TomlError) {
      const reason = error.message.split('\n')[0] ?? error.message;
      throw new AdapterConfigError(file, `is not valid TOML at line ${error.line}, column ${error.column} (${reason}); fix or remove it`, { cause: error });
    }
    throw error;
  }
}

/**
 * Applies `mutate` (which edits the parsed table in place and says whether it changed anything) to the file's
 * text. `mutate` runs twice, on each library's reading of the file, so it must only add or replace values.
 */
export function editToml(text: string, file: string, mutate: (table: TomlTable) => boolean): TomlEdit {
  const intended = parseToml(text, file);
  if (!mutate(intended)) return { content: text, changed: false, droppedComments: 0 };
  const base = parseForPatch(text) as TomlTable;
  mutate(base);
  let content: string;
  try {
    content = patch(text, base);
  } catch (error) {
    throw new AdapterConfigError(file, `could not be edited in place (${(error as Error).message}); add the commands by hand`, { cause: error });
  }
  if (!content.endsWith('\n')) content += '\n';
  let readBack: unknown;
  try {
    readBack = parseStrict(content);
  } catch {
    readBack = undefined;
  }
  if (!isDeepStrictEqual(plain(readBack), plain(intended))) {
    throw new AdapterConfigError(file, 'could not be edited without changing other settings (the edited text did not read back as intended); add the commands by hand');
  }
  return { content, changed: true, droppedComments: countDropped(text, content) };
}

/** smol-toml's tables have no prototype and its dates are its own class: compare as plain data. */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Date) return { date: String(value) };
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

/** A basic TOML string (JSON's escapes are TOML's), for the files we write from scratch. */
export function tomlString(value: string): string {
  return JSON.stringify(value);
}

function countDropped(before: string, after: string): number {
  const remaining = new Map<string, number>();
  for (const line of commentLines(after)) remaining.set(line, (remaining.get(line) ?? 0) + 1);
  let dropped = 0;
  for (const line of commentLines(before)) {
    const left = remaining.get(line) ?? 0;
    if (left === 0) dropped += 1;
    else remaining.set(line, left - 1);
  }
  return dropped;
}

/** Comments as text after `#`, also trailing ones; a rough reading (a `#` inside a string counts too). */
function commentLines(text: string): string[] {
  return text.split('\n').map((line) => /#.*$/.exec(line)?.[0].trim() ?? '').filter((c) => c !== '');
}
