import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { parse } from 'dotenv';
import { BLOCK_BEGIN, BLOCK_END, readManagedBlock, renderEnvFile } from '../../src/files/env-block.js';
import { quoteEnvValue, UnsafeEnvValueError } from '../../src/files/env-value.js';

const RUNS = 500;

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

function blockOf(vars: ReadonlyArray<readonly [string, string]>, eol: string): string {
  const lines = vars.map(([k, v]) => `${k}=${quoteEnvValue(k, v)}`);
  return [BLOCK_BEGIN, ...lines, BLOCK_END].join(eol) + eol;
}

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

        // The block takes the user's style, else the old block's, else LF.
        const outEol = (userBefore + userAfter).includes('\n') || oldBlock ? eol : '\n';
        const gap = oldBlock || userBefore === '' || userBefore.endsWith('\n') ? '' : outEol;
        const expected = prefix + userBefore + gap + blockOf(vars, outEol) + userAfter;

        const result = renderEnvFile(current, vars);
        expect(result.content).toBe(expected);
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
        const kept = lines.filter((x) => !isLegacy(x)).map((x) => `${x.l}\n`);
        const result = renderEnvFile(lines.map((x) => `${x.l}\n`).join(''), vars);
        expect(result.content).toBe(kept.join('') + blockOf(vars, '\n'));
        expect(result.removedLegacyLines).toBe(lines.filter(isLegacy).length);
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
        const text = renderEnvFile(eol === '\n' ? null : `# crlf${eol}`, pairs).content;
        expect(parse(text)).toEqual(Object.fromEntries(pairs));
      }),
      { numRuns: RUNS },
    );
  });
});
