import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { parse } from 'dotenv';
import { BLOCK_BEGIN, BLOCK_END, readManagedBlock, renderEnvFile, renderEnvFileInFull } from '../../src/files/env-block.js';
import { quoteEnvValue, UnsafeEnvValueError } from '../../src/files/env-value.js';

/** PROP_RUNS=30000 for a deep search before a change to the codec; CI runs the default. */
const RUNS = Number(process.env.PROP_RUNS ?? 500);

/** Values biased towards what quoting cares about, plus any unicode grapheme. */
const tricky = fc.constantFrom("'", '"', '$', '`', '\\', '#', ' ', '\t', '=', '\n', '\r', '\0', 'é', '🚀', '\u2028', '\uFEFF', '\uD800', '${X}', '\\n', '!');
const envValue = fc.string({
  unit: fc.oneof({ weight: 3, arbitrary: tricky }, { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) }),
  maxLength: 24,
});

/** The only reasons quoteEnvValue may give for refusing a value. */
function isLegitRefusal(value: string): boolean {
  const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
  return (
    /[\n\r\0]/.test(value) ||
    loneSurrogate.test(value) ||
    value.endsWith('\\') ||
    (value.includes("'") && /["$`\\]/.test(value))
  );
}

const MANAGED: readonly string[] = ['AGENT_EMAIL', 'OPENAI_API_KEY', 'RAVI_TOKEN', 'X'];

/** Text without line breaks; `unit: 'grapheme'` gives all of unicode, not just ASCII. */
const lineText = fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, ''));
const otherKey = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,10}$/).filter((k) => !MANAGED.includes(k));
const userLine = fc
  .oneof(
    lineText.map((t) => `#${t}`),
    fc.constantFrom('', '   ', '\t'),
    fc.tuple(otherKey, lineText).map(([k, v]) => `${k}=${v}`),
    fc.tuple(otherKey, lineText).map(([k, v]) => `export ${k}='${v.replaceAll("'", '')}'`),
    fc.tuple(otherKey, lineText).map(([k, v]) => `${k} = "${v.replaceAll('"', '')}"`),
    lineText,
  )
  .filter(isUserLine);
/** Without quotes no user line can open a multi-line value that would hide a legacy line. */
const plainUserLine = userLine.map((l) => l.replace(/['"`]/g, '')).filter(isUserLine);

/** A user line is never our begin marker, nor an assignment of a key we manage. */
function isUserLine(line: string): boolean {
  const key = /^\s*(?:export\s+)?(\w+)\s*=/.exec(line)?.[1];
  return !line.startsWith('# >>> ravi-orchestrator >>>') && !MANAGED.includes(key ?? '');
}

const safeValue = envValue.filter((v) => !throwsUnsafe(v));
const managedVars = fc.uniqueArray(fc.tuple(fc.constantFrom(...MANAGED), safeValue), { selector: ([k]) => k, maxLength: 4 });

function throwsUnsafe(value: string): boolean {
  try {
    quoteEnvValue('K', value);
    return false;
  } catch (error) {
    if (error instanceof UnsafeEnvValueError) return true;
    throw error;
  }
}

function blockOf(vars: ReadonlyArray<readonly [string, string]>, eol = '\n'): string {
  const lines = vars.map(([k, v]) => `${k}=${quoteEnvValue(k, v)}`);
  return [BLOCK_BEGIN, ...lines, BLOCK_END].join(eol) + eol;
}

const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');
/** One char per byte, so a failed comparison shows every byte. */
const shown = (bytes: Buffer): string => bytes.toString('latin1');

describe('env block properties', () => {
  it('preserves everything outside the block byte for byte, and re-rendering is a fixpoint', () => {
    const file = fc.record({
      eol: fc.constantFrom('\n', '\r\n'),
      bom: fc.boolean(),
      before: fc.array(userLine, { maxLength: 8 }),
      oldBlock: fc.option(managedVars),
      after: fc.array(userLine, { maxLength: 8 }),
      trailingNewline: fc.boolean(),
      vars: managedVars,
    });
    fc.assert(
      fc.property(file, ({ eol, bom, before, oldBlock, after, trailingNewline, vars }) => {
        const join = (lines: string[]): string => lines.map((l) => l + eol).join('');
        const prefix = bom ? '\uFEFF' : '';
        let userBefore = join(before);
        let userAfter = oldBlock ? join(after) : '';
        let current = prefix + userBefore + (oldBlock ? blockOf(oldBlock, eol) : '') + userAfter;
        if (!trailingNewline && current.endsWith(eol)) {
          current = current.slice(0, -eol.length);
          // The cut lands on the user's last line, or on the old block (which we rewrite whole).
          if (userAfter !== '') userAfter = userAfter.slice(0, -eol.length);
          else if (!oldBlock && userBefore !== '') userBefore = userBefore.slice(0, -eol.length);
        }

        // Our block is always LF (bash would read a CR into our values); a user's unfinished last line gets their style.
        const gap = oldBlock || userBefore === '' || userBefore.endsWith('\n') ? '' : userBefore.includes('\n') ? eol : '\n';
        const finished = prefix + userBefore + gap;
        const expected = finished + guardAfter(finished) + blockOf(vars) + userAfter;

        const result = renderEnvFile(utf8(current), vars);
        expect(shown(result.content)).toBe(shown(utf8(expected)));
        expect(result.removedLegacyLines).toBe(0);
        expect(renderEnvFile(result.content, vars)).toEqual({ ...result, changed: false, changedKeys: [] });
        expect(readManagedBlock(result.content)).toEqual(new Map(vars));
      }),
      { numRuns: RUNS },
    );
  });

  it('removes legacy lines of managed keys and keeps the rest', () => {
    const legacyLine = fc
      .tuple(fc.constantFrom('', 'export ', '  '), fc.constantFrom(...MANAGED), fc.constantFrom('=', ' = '), lineText)
      .map(([prefix, key, eq, value]) => `${prefix}${key}${eq}${value.replace(/['"`]/g, '')}`);
    const tagged = fc.array(
      fc.oneof(plainUserLine.map((l) => ({ l, legacy: false })), legacyLine.map((l) => ({ l, legacy: true }))),
      { maxLength: 12 },
    );
    fc.assert(
      fc.property(tagged, managedVars, (lines, vars) => {
        const managed = new Set(vars.map(([k]) => k));
        const isLegacy = (x: { l: string; legacy: boolean }): boolean =>
          x.legacy && managed.has(/^\s*(?:export\s+)?(\w+)/.exec(x.l)![1]!);
        const kept = lines.filter((x) => !isLegacy(x)).map((x) => `${x.l}\n`).join('');
        const result = renderEnvFile(utf8(lines.map((x) => `${x.l}\n`).join('')), vars);
        // A kept line ending in a backslash (a comment's too: we do not parse bash) is followed by a blank line.
        expect(result.content.toString('utf8')).toBe(kept + guardAfter(kept) + blockOf(vars));
        expect(result.removedLegacyLines).toBe(lines.filter(isLegacy).length);
      }),
      { numRuns: RUNS },
    );
  });
});

/**
 * Files as they come: bytes that are not UTF-8, CRLF and lone CRs, lines ending in a backslash, our markers
 * where they do not belong. A piece is the user's bytes for one line, without its line end.
 */
const BYTE_POOL = [0x00, 0x09, 0x0d, 0x20, 0x22, 0x23, 0x27, 0x3d, 0x41, 0x5c, 0x5f, 0x60, 0x7f, 0x80, 0xa0, 0xc3, 0xe9, 0xef, 0xfe, 0xff];
const rawPiece = fc.array(fc.constantFrom(...BYTE_POOL), { maxLength: 12 }).map((b) => Buffer.from(b));
const piece = fc.oneof(
  rawPiece,
  userLine.map(utf8),
  fc.tuple(otherKey, rawPiece).map(([k, v]) => Buffer.concat([utf8(`${k}=`), v])),
  fc.tuple(otherKey, fc.constantFrom('\\', '\\\\', 'x\\')).map(([k, v]) => utf8(`${k}=${v}`)),
  fc.constant(utf8(BLOCK_END)), // a stray end marker, without a start before it
).filter((b) => !isOurLine(b));
const hostileLine = fc.tuple(piece, fc.constantFrom('\n', '\r\n', '\r\n', '\n')).map(([b, eol]) => Buffer.concat([b, utf8(eol)]));

/** Lines the codec may claim: a start marker, or an assignment of a managed key (as dotenv would read it). */
function isOurLine(bytes: Buffer): boolean {
  const text = bytes.toString('utf8');
  return text.split(/\r\n?|\n/).some((line) => line.startsWith('# >>> ravi-orchestrator >>>') || !isUserLine(line));
}

/** The end the codec gives an unfinished last line before appending: LF after a CR, else the user's majority style. */
function gapAfter(text: string): string {
  if (text === '' || text.endsWith('\n')) return '';
  if (text.endsWith('\r')) return '\n';
  return (text.match(/\r\n/g) ?? []).length > (text.match(/(?<!\r)\n/g) ?? []).length ? '\r\n' : '\n';
}

/** An empty line when `text` ends in a line whose LF an odd number of backslashes escapes (bash would join). */
function guardAfter(text: string): string {
  return /(?:^|[^\\])(?:\\\\)*\\\n$/.test(text) ? '\n' : '';
}

describe('env block properties on hostile bytes', () => {
  it('keeps every user byte, ends a backslash line before our block, never takes a line after a lone start marker', () => {
    const file = fc.record({
      bom: fc.boolean(),
      before: fc.array(hostileLine, { maxLength: 8 }),
      loneStart: fc.boolean(),
      after: fc.array(hostileLine.filter((b) => !b.toString('latin1').startsWith(BLOCK_END)), { maxLength: 6 }),
      cutLastEol: fc.boolean(),
      vars: managedVars,
    });
    fc.assert(
      fc.property(file, ({ bom, before, loneStart, after, cutLastEol, vars }) => {
        const prefix = bom ? '\xEF\xBB\xBF' : '';
        const userBefore = shown(Buffer.concat(before));
        let userAfter = shown(Buffer.concat(after));
        if (cutLastEol) userAfter = userAfter.slice(0, -1); // may cut a CRLF in two: a lone CR ends the file
        const marker = loneStart ? `${BLOCK_BEGIN}\n` : '';
        const current = prefix + userBefore + marker + userAfter;

        // A lone start marker is replaced in place by our block, and every line after it stays the user's.
        const user = userBefore + (loneStart ? '' : userAfter);
        const finished = prefix + user + (loneStart ? '' : gapAfter(user));
        const bytes = (byteString: string): Buffer => Buffer.from(byteString, 'latin1');
        const expected = Buffer.concat([bytes(finished + guardAfter(finished)), utf8(blockOf(vars)), bytes(loneStart ? userAfter : '')]);

        const result = renderEnvFile(bytes(current), vars);
        expect(shown(result.content)).toBe(shown(expected));
        expect(result.removedLegacyLines).toBe(0);
        expect(renderEnvFile(result.content, vars)).toEqual({ ...result, changed: false, changedKeys: [] });
        expect(readManagedBlock(result.content)).toEqual(new Map(vars));
      }),
      { numRuns: RUNS },
    );
  });

  it('a file already holding its block renders as the full render renders it (the shortcut changes no answer)', () => {
    // Files near the shortcut's edge: our exact block among hostile lines, legacy lines, other start markers,
    // another block, a block cut or edited, quotes opened before the block, a BOM, a line joined to the block.
    const legacyLine = fc.tuple(fc.constantFrom(...MANAGED), fc.constantFrom('=x', '="a', "='b'", ' = y')).map(([k, v]) => utf8(`${k}${v}\n`));
    const part = (vars: ReadonlyArray<readonly [string, string]>) => fc.oneof(
      { weight: 4, arbitrary: hostileLine },
      { weight: 3, arbitrary: fc.constant(utf8(blockOf(vars))) },
      { weight: 1, arbitrary: legacyLine },
      { weight: 1, arbitrary: fc.constantFrom(utf8(`${BLOCK_BEGIN}\n`), utf8(`${BLOCK_END}\n`), utf8('K="open\n'), utf8('K=x\\\n'), utf8('\xEF\xBB\xBF'), utf8('no line end')) },
      { weight: 1, arbitrary: managedVars.map((other) => utf8(blockOf(other))) },
      { weight: 1, arbitrary: fc.constant(utf8(blockOf(vars).slice(0, -1))) },
    );
    const file = managedVars.chain((vars) => fc.tuple(fc.constant(vars), fc.boolean(), fc.array(part(vars), { maxLength: 6 })));
    let shortcutTaken = 0;
    fc.assert(
      fc.property(file, ([vars, bom, parts]) => {
        const current = Buffer.concat([utf8(bom ? '\uFEFF' : ''), ...parts]);
        const result = renderEnvFile(current, vars);
        expect({ ...result, content: shown(result.content) }).toEqual({ ...renderEnvFileInFull(current, vars), content: shown(renderEnvFileInFull(current, vars).content) });
        if (!result.changed) shortcutTaken += 1;
      }),
      { numRuns: RUNS * 4 },
    );
    expect(shortcutTaken).toBeGreaterThan(RUNS / 4); // the generator reaches files already as wanted, often
  });

  it('dotenv reads our values exactly after any user lines without quotes', () => {
    const unquoted = hostileLine.filter((b) => !/['"`]/.test(b.toString('latin1')));
    fc.assert(
      fc.property(fc.array(unquoted, { maxLength: 8 }), fc.boolean(), managedVars, (lines, cut, vars) => {
        let current = Buffer.concat(lines);
        if (cut) current = current.subarray(0, Math.max(0, current.length - 1));
        const parsed = parse(renderEnvFile(current, vars).content);
        for (const [key, value] of vars) expect(parsed[key]).toBe(value);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('quoteEnvValue examples', () => {
  it.each([
    ['sk-abc', "'sk-abc'"],
    ['', "''"],
    ['a b # $HOME `x` \\ "q"', `'a b # $HOME \`x\` \\ "q"'`],
    ["it's #1 = ok!", `"it's #1 = ok!"`],
  ])('%j is written as %s', (value, written) => {
    expect(quoteEnvValue('K', value)).toBe(written);
  });

  it('rejects an invalid key', () => {
    expect(() => quoteEnvValue('BAD KEY', 'v')).toThrow(/"BAD KEY"/);
  });
});

describe('value codec properties', () => {
  it('either refuses a value for a stated reason or dotenv reads back exactly that value', () => {
    fc.assert(
      fc.property(envValue, (value) => {
        let quoted: string;
        try {
          quoted = quoteEnvValue('KEY', value);
        } catch (error) {
          expect(error).toBeInstanceOf(UnsafeEnvValueError);
          expect(isLegitRefusal(value)).toBe(true);
          if (value.length >= 6) expect((error as Error).message).not.toContain(value);
          return;
        }
        expect(isLegitRefusal(value)).toBe(false);
        expect(quoted.startsWith(value.includes("'") ? '"' : "'")).toBe(true);
        expect(parse(`KEY=${quoted}`)).toEqual({ KEY: value });
        expect(parse(`KEY=${quoted}\r\n`)).toEqual({ KEY: value });
      }),
      { numRuns: RUNS },
    );
  });

  it('dotenv reads the whole managed block back as exactly the vars', () => {
    const keys = fc.uniqueArray(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,6}$/), { maxLength: 6 });
    const vars = keys.chain((ks) => fc.tuple(...ks.map((k) => safeValue.map((v) => [k, v] as const))));
    fc.assert(
      fc.property(vars, fc.constantFrom('\n', '\r\n'), (pairs, eol) => {
        const text = renderEnvFile(eol === '\n' ? null : utf8(`# crlf${eol}`), pairs).content;
        expect(parse(text)).toEqual(Object.fromEntries(pairs));
      }),
      { numRuns: RUNS },
    );
  });
});
