/**
 * The managed block of a .env file: pure text in, text out. Everything outside the block is the
 * user's and comes back byte for byte; the block is replaced in place or appended at the end.
 */
import { assertValidEnvKey, quoteEnvValue } from './env-value.js';

export const BLOCK_BEGIN = '# >>> ravi-orchestrator >>> (managed; edits inside are replaced)';
export const BLOCK_END = '# <<< ravi-orchestrator <<<';

export interface EnvRender {
  content: string;
  changed: boolean;
  removedLegacyLines: number;
  changedKeys: string[];
}

/** current: the file's text or null when absent; vars: ordered [key, value] pairs to manage. */
export function renderEnvFile(current: string | null, vars: ReadonlyArray<readonly [string, string]>): EnvRender {
  const wanted = checkedVars(vars);
  const text = current ?? '';
  const bom = text.startsWith(BOM) ? BOM : '';
  const segments = scanEnvText(text.slice(bom.length), new Set(wanted.keys()));

  const kept = segments.filter((s) => s.kind === 'user').flatMap((s) => s.lines);
  const firstBlock = segments.find((s) => s.kind === 'block');
  const gap = firstBlock ? '' : lineEndGap(kept);
  const finished = gap === '' ? kept : [...kept.slice(0, -1), kept.at(-1)! + gap];
  const eol = newlineStyle(finished, firstBlock?.lines ?? []);
  const block = blockText(wanted, eol);

  let body = '';
  for (const segment of segments) {
    if (segment.kind === 'user') body += segment.lines.join('');
    // Only the first block is replaced in place; any later one is ours too and goes away.
    if (segment === firstBlock) body += block;
  }
  if (!firstBlock) body += gap + block;

  const content = bom + body;
  const before = mergedBlocks(segments) ?? new Map<string, string>();
  return {
    content,
    changed: current === null || content !== current,
    removedLegacyLines: segments.filter((s) => s.kind === 'legacy').length,
    changedKeys: diffKeys(before, wanted),
  };
}

/** The managed block's key -> value as written (unquoted), or null when the file has no block. */
export function readManagedBlock(content: string): Map<string, string> | null {
  const body = content.startsWith(BOM) ? content.slice(BOM.length) : content;
  return mergedBlocks(scanEnvText(body, new Set()));
}

const BOM = '\uFEFF';
const BEGIN_PREFIX = '# >>> ravi-orchestrator >>>';
/** `KEY=`, `export KEY=`, `KEY = `: the forms old append-only scripts wrote. */
const ASSIGNMENT = /^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)[ \t]*=(.*)$/s; // s: values may hold U+2028
/** Start of a quoted value as dotenv sees it (it also accepts `.`/`-` in keys and `KEY: value`). */
const QUOTED_START = /^\s*(?:export\s+)?[\w.-]+(?:\s*=\s*|:\s+)(['"`])/;

type Segment = { kind: 'user' | 'legacy' | 'block'; lines: string[] };

/** Splits text into user lines, legacy assignments of managed keys, and managed blocks. */
function scanEnvText(text: string, managed: ReadonlySet<string>): Segment[] {
  const lines = text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const segments: Segment[] = [];
  let i = 0;
  while (i < lines.length) {
    const end = isBegin(lines[i]!) ? blockEnd(lines, i) : assignmentEnd(lines, i);
    const chunk = lines.slice(i, end + 1);
    const key = ASSIGNMENT.exec(bare(lines[i]!))?.[1];
    const kind = isBegin(lines[i]!) ? 'block' : key !== undefined && managed.has(key) ? 'legacy' : 'user';
    const last = segments.at(-1);
    if (kind === 'user' && last?.kind === 'user') last.lines.push(...chunk);
    else segments.push({ kind, lines: chunk });
    i = end + 1;
  }
  return segments;
}

/** Last line of the block starting at `begin`: its end marker, or else its run of assignments. */
function blockEnd(lines: readonly string[], begin: number): number {
  for (let j = begin + 1; j < lines.length && !isBegin(lines[j]!); j++) {
    if (bare(lines[j]!).trimEnd() === BLOCK_END) return j;
  }
  // No end marker: take only assignment lines, so no user line is ever swallowed.
  let j = begin;
  while (j + 1 < lines.length && ASSIGNMENT.test(bare(lines[j + 1]!))) j++;
  return j;
}

/**
 * Last line of the assignment starting at line i, following dotenv across lines when a quoted
 * value spans several (its regex takes the farthest closing quote that is followed only by
 * spaces or a comment, and it can step over quotes preceded by a backslash).
 */
function assignmentEnd(lines: readonly string[], i: number): number {
  const first = bare(lines[i]!);
  const open = QUOTED_START.exec(first);
  if (!open) return i;
  const quote = open[1]!;
  let best = i;
  let from = open[0].length;
  for (let j = i; j < lines.length; j++, from = 0) {
    if (j > i && isBegin(lines[j]!)) break; // our marker always wins over a dangling quote
    const text = j === i ? first : bare(lines[j]!);
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

function blockText(vars: ReadonlyMap<string, string>, eol: string): string {
  const body = [...vars].map(([key, value]) => `${key}=${quoteEnvValue(key, value)}`);
  return [BLOCK_BEGIN, ...body, BLOCK_END].join(eol) + eol;
}

/** Appending after a last line without a line end: finish that line first (a lone CR gets its LF). */
function lineEndGap(kept: readonly string[]): string {
  const last = kept.at(-1);
  if (last === undefined || last.endsWith('\n')) return '';
  return last.endsWith('\r') ? '\n' : newlineStyle(kept, []);
}

/** The user's lines decide (CRLF when most of their line ends are); a file of only our block keeps its style. */
function newlineStyle(user: readonly string[], block: readonly string[]): string {
  const lines = user.some((l) => l.endsWith('\n')) ? user : block;
  const crlf = lines.filter((l) => l.endsWith('\r\n')).length;
  const lf = lines.filter((l) => l.endsWith('\n')).length - crlf;
  return crlf > lf ? '\r\n' : '\n';
}

/** All blocks' assignments, later ones winning (as dotenv and bash would read them). */
function mergedBlocks(segments: readonly Segment[]): Map<string, string> | null {
  const blocks = segments.filter((s) => s.kind === 'block');
  if (blocks.length === 0) return null;
  const values = new Map<string, string>();
  for (const line of blocks.flatMap((b) => b.lines)) {
    const match = ASSIGNMENT.exec(bare(line));
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

function isBegin(line: string): boolean {
  return line.startsWith(BEGIN_PREFIX);
}

/** A line without its line ending (LF or CRLF). */
function bare(line: string): string {
  return line.replace(/\r?\n$/, '');
}
