/**
 * The managed block of a .env file: bytes in, bytes out. Everything outside the block is the user's and comes
 * back byte for byte (invalid UTF-8 too); the block is replaced in place or appended at the end.
 *
 * Inside, a file is a "byte string" (latin1: one char per byte), so cutting and joining lines never changes a
 * byte. Lines are classified on their UTF-8 reading, as dotenv sees them; our own lines are written as UTF-8.
 * What bash, dotenv and docker compose do with the bytes around our block (checked against real bash, dotenv's
 * lib/main.js and compose-go's dotenv/parser.go):
 * - Our block's lines always end in LF, also in a CRLF or CR file: bash keeps a CR as part of the value
 *   (`K='v'\r` reads as "v\r"); dotenv turns CRLF and CR into LF and compose-go skips a CR as a space, so LF
 *   lines read the same to them in any file.
 * - A line ending in a backslash makes bash join the next line to it, so after such a user line our block
 *   starts with an empty line, which ends the joined line harmlessly (dotenv and compose-go join nothing).
 */
import { assertValidEnvKey, quoteEnvValue } from './env-value.js';

export const BLOCK_BEGIN = '# >>> ravi-orchestrator >>> (managed; edits inside are replaced)';
export const BLOCK_END = '# <<< ravi-orchestrator <<<';

export interface EnvRender {
  content: Buffer;
  changed: boolean;
  removedLegacyLines: number;
  changedKeys: string[];
}

/** current: the file's bytes or null when absent; vars: ordered [key, value] pairs to manage. */
export function renderEnvFile(current: Uint8Array | null, vars: ReadonlyArray<readonly [string, string]>): EnvRender {
  const wanted = checkedVars(vars);
  const block = blockText(wanted);
  return (current === null ? null : unchangedRender(current, wanted, block)) ?? renderInFull(current, wanted, block);
}

/** renderEnvFile without its shortcut for a file already as wanted (the property tests hold the two equal). */
export function renderEnvFileInFull(current: Uint8Array | null, vars: ReadonlyArray<readonly [string, string]>): EnvRender {
  const wanted = checkedVars(vars);
  return renderInFull(current, wanted, blockText(wanted));
}

/**
 * The render of a file that already holds exactly this block, once, and nothing else of ours, found without cutting
 * the file into lines: a no-op pass renders every worktree's file, and the full render was about a tenth of its
 * per-worktree work (N = 500, a CPU profile). Null unless each of these holds, and the full render
 * decides: the only start marker is this block's, at the start of a line; no text outside the block names a managed
 * key (so no line there is one of ours, legacy or a block's); the text before it does not end in a line bash would
 * join to the block (continuationGuard). Then the full render gives back the same bytes: the user's lines, the block
 * in place.
 */
function unchangedRender(current: Uint8Array, wanted: ReadonlyMap<string, string>, block: string): EnvRender | null {
  const text = byteString(current);
  const start = text.startsWith(BOM) ? BOM.length : 0;
  const at = text.indexOf(BEGIN_PREFIX, start);
  if (at === -1 || (at > start && text[at - 1] !== '\n') || !text.startsWith(block, at)) return null;
  if (text.indexOf(BEGIN_PREFIX, at + 1) !== -1) return null;
  const before = text.slice(start, at);
  const after = text.slice(at + block.length);
  for (const key of wanted.keys()) if (before.includes(key) || after.includes(key)) return null;
  if (continuationGuard(text.slice(0, at)) !== '') return null;
  return {
    content: Buffer.isBuffer(current) ? current : Buffer.from(current),
    changed: false,
    removedLegacyLines: 0,
    // Worked out when read: a plan reads it for a file it writes anyway (a create's), not for one it leaves alone.
    get changedKeys() {
      return diffKeys(mergedBlocks([{ kind: 'block', lines: block.match(LINES) ?? [] }]) ?? new Map<string, string>(), wanted);
    },
  };
}

function renderInFull(current: Uint8Array | null, wanted: ReadonlyMap<string, string>, block: string): EnvRender {
  const text = current === null ? '' : byteString(current);
  const bom = text.startsWith(BOM) ? BOM : '';
  const segments = scanEnvText(text.slice(bom.length), (key) => wanted.has(key));

  const firstBlock = segments.find((s) => s.kind === 'block');
  let body = bom;
  for (const segment of segments) {
    if (segment.kind === 'user') body += segment.lines.join('');
    // Only the first block is replaced in place; any later one is ours too and goes away.
    if (segment === firstBlock) body += continuationGuard(body) + block;
  }
  if (!firstBlock) {
    body += lineEndGap(segments.filter((s) => s.kind === 'user').flatMap((s) => s.lines));
    body += continuationGuard(body) + block;
  }

  const content = Buffer.from(body, 'latin1');
  const before = mergedBlocks(segments) ?? new Map<string, string>();
  return {
    content,
    changed: current === null || !content.equals(current),
    removedLegacyLines: segments.filter((s) => s.kind === 'legacy').length,
    changedKeys: diffKeys(before, wanted),
  };
}

/** The managed block's key -> value as written (unquoted), or null when the file has no block. */
export function readManagedBlock(content: Uint8Array): Map<string, string> | null {
  const text = byteString(content);
  return mergedBlocks(scanEnvText(text.startsWith(BOM) ? text.slice(BOM.length) : text, () => true));
}

/**
 * The file without its managed block(s) (teardown), or null when it has none. `managedKeys` says which lines
 * after a start marker that lost its end marker are ours; every other byte stays, legacy lines included.
 */
export function withoutManagedBlock(content: Uint8Array, managedKeys: Iterable<string>): Buffer | null {
  const managed = new Set(managedKeys);
  const segments = scanEnvText(byteString(content), (key) => managed.has(key));
  if (!segments.some((s) => s.kind === 'block')) return null;
  return Buffer.from(segments.filter((s) => s.kind !== 'block').flatMap((s) => s.lines).join(''), 'latin1');
}

const BOM = '\xEF\xBB\xBF'; // U+FEFF as UTF-8 bytes
const BEGIN_PREFIX = '# >>> ravi-orchestrator >>>';
/** `KEY=`, `export KEY=`, `KEY = `: the forms old append-only scripts wrote. */
const ASSIGNMENT = /^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)[ \t]*=(.*)$/s; // s: values may hold U+2028
/** Start of a quoted value as dotenv sees it (it also accepts `.`/`-` in keys and `KEY: value`). */
const QUOTED_START = /^\s*(?:export\s+)?[\w.-]+(?:\s*=\s*|:\s+)(['"`])/;

type Segment = { kind: 'user' | 'legacy' | 'block'; lines: string[] };

/** Lines with their line ends (LF; a CR stays inside its line), the last one without one when the text has none. */
const LINES = /[^\n]*\n|[^\n]+$/g;

/**
 * Splits a byte string into user lines, legacy assignments of managed keys, and managed blocks. `isOurs` says
 * which keys are managed: their lines outside a block are legacy, and they alone may follow a start marker
 * whose end marker is missing.
 */
function scanEnvText(text: string, isOurs: (key: string) => boolean): Segment[] {
  const lines = text.match(LINES) ?? [];
  const segments: Segment[] = [];
  let i = 0;
  while (i < lines.length) {
    const begin = isBegin(lines[i]!);
    const end = begin ? blockEnd(lines, i, isOurs) : assignmentEnd(lines, i);
    const chunk = lines.slice(i, end + 1);
    const key = assignedKey(lines[i]!);
    const kind = begin ? 'block' : key !== undefined && isOurs(key) ? 'legacy' : 'user';
    const last = segments.at(-1);
    if (kind === 'user' && last?.kind === 'user') last.lines.push(...chunk);
    else segments.push({ kind, lines: chunk });
    i = end + 1;
  }
  return segments;
}

/**
 * Last line of the block starting at `begin`: its end marker, or else (the end marker was cut off or edited
 * away) the run of assignments of managed keys after it, so that no user line is ever swallowed, not even an
 * assignment of a key of the user's.
 */
function blockEnd(lines: readonly string[], begin: number, isOurs: (key: string) => boolean): number {
  for (let j = begin + 1; j < lines.length && !isBegin(lines[j]!); j++) {
    if (bare(utf8View(lines[j]!)).trimEnd() === BLOCK_END) return j;
  }
  let j = begin;
  while (j + 1 < lines.length) {
    const key = assignedKey(lines[j + 1]!);
    if (key === undefined || !isOurs(key)) break;
    j++;
  }
  return j;
}

/**
 * Last line of the assignment starting at line i, following dotenv across lines when a quoted
 * value spans several (its regex takes the farthest closing quote that is followed only by
 * spaces or a comment, and it can step over quotes preceded by a backslash).
 */
function assignmentEnd(lines: readonly string[], i: number): number {
  const first = bare(utf8View(lines[i]!));
  const open = QUOTED_START.exec(first);
  if (!open) return i;
  const quote = open[1]!;
  let best = i;
  let from = open[0].length;
  for (let j = i; j < lines.length; j++, from = 0) {
    if (j > i && isBegin(lines[j]!)) break; // our marker always wins over a dangling quote
    const text = j === i ? first : bare(utf8View(lines[j]!));
    for (let p = text.indexOf(quote, from); p !== -1; p = text.indexOf(quote, p + 1)) {
      if (/^\s*(?:#.*)?$/.test(text.slice(p + 1))) best = j;
      if (p === 0 || text[p - 1] !== '\\') return best; // a quote without a backslash ends the search
    }
  }
  return best;
}

function checkedVars(vars: ReadonlyArray<readonly [string, string]>): Map<string, string> {
  const wanted = new Map<string, string>();
  for (const [key, value] of vars) {
    assertValidEnvKey(key);
    if (wanted.has(key)) throw new Error(`Duplicate .env key ${key} in the managed variables`);
    wanted.set(key, value);
  }
  return wanted;
}

/** Our block as a byte string: UTF-8 lines, each ending in LF whatever the file's style (see the top). */
function blockText(vars: ReadonlyMap<string, string>): string {
  const body = [...vars].map(([key, value]) => `${key}=${quoteEnvValue(key, value)}`);
  const text = [BLOCK_BEGIN, ...body, BLOCK_END].join('\n') + '\n';
  return /[^\x00-\x7f]/.test(text) ? byteString(Buffer.from(text, 'utf8')) : text; // ASCII is its own byte string
}

/** An empty line when the text before our block ends in a line that bash would join to the next one. */
function continuationGuard(before: string): string {
  if (!before.endsWith('\n')) return '';
  const backslashes = /\\*$/.exec(before.slice(0, -1))![0].length;
  return backslashes % 2 === 1 ? '\n' : '';
}

/** Appending after a last line without a line end: finish that line first (a lone CR gets its LF). */
function lineEndGap(kept: readonly string[]): string {
  const last = kept.at(-1);
  if (last === undefined || last.endsWith('\n')) return '';
  if (last.endsWith('\r')) return '\n';
  // The user's own style for their line: CRLF when most of their line ends are.
  const crlf = kept.filter((l) => l.endsWith('\r\n')).length;
  const lf = kept.filter((l) => l.endsWith('\n')).length - crlf;
  return crlf > lf ? '\r\n' : '\n';
}

/** All blocks' assignments, later ones winning (as dotenv and bash would read them). */
function mergedBlocks(segments: readonly Segment[]): Map<string, string> | null {
  const blocks = segments.filter((s) => s.kind === 'block');
  if (blocks.length === 0) return null;
  const values = new Map<string, string>();
  for (const line of blocks.flatMap((b) => b.lines)) {
    const match = ASSIGNMENT.exec(bare(utf8View(line)));
    if (match) values.set(match[1]!, unquote(match[2]!));
  }
  return values;
}

/** Inverse of quoteEnvValue for what we write; a hand-edited value comes back trimmed. */
function unquote(raw: string): string {
  const text = raw.trim();
  const quoted = /^'([^']*)'$/.exec(text) ?? /^"([^"]*)"$/.exec(text);
  return quoted ? quoted[1]! : text;
}

function diffKeys(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): string[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].filter((k) => before.get(k) !== after.get(k)).sort();
}

/** The key a line assigns; none for a line that a CR inside splits in two (dotenv would read two lines). */
function assignedKey(line: string): string | undefined {
  const text = bare(utf8View(line)).replace(/\r$/, '');
  return text.includes('\r') ? undefined : ASSIGNMENT.exec(text)?.[1];
}

/** Our start marker, on a line of its own (not the head of a CR-joined run of lines from a CR-only file). */
function isBegin(line: string): boolean {
  return line.startsWith(BEGIN_PREFIX) && !bare(line).replace(/\r$/, '').includes('\r');
}

/** A line without its line ending (LF or CRLF). */
function bare(line: string): string {
  return line.replace(/\r?\n$/, '');
}

function byteString(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** A byte-string line as text, the way dotenv decodes it (invalid sequences become U+FFFD). */
function utf8View(line: string): string {
  return /[^\x00-\x7f]/.test(line) ? Buffer.from(line, 'latin1').toString('utf8') : line;
}
