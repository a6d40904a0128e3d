import { describe, it, expect } from 'vitest';
import { BLOCK_BEGIN, BLOCK_END, readManagedBlock, renderEnvFile } from '../../src/files/env-block.js';
import { UnsafeEnvValueError } from '../../src/files/env-value.js';

const VARS = [
  ['AGENT_EMAIL', 'ws-x@raviapp.com'],
  ['NOTE', "it's"],
] as const;
const BLOCK = `${BLOCK_BEGIN}\nAGENT_EMAIL='ws-x@raviapp.com'\nNOTE="it's"\n${BLOCK_END}\n`;
const BLOCK_CRLF = BLOCK.replaceAll('\n', '\r\n');
const OLD_BLOCK = `${BLOCK_BEGIN}\nAGENT_EMAIL='old@raviapp.com'\n${BLOCK_END}\n`;

interface Case {
  name: string;
  current: string | null;
  expected: string;
  removed?: number;
}

const cases: Case[] = [
  { name: 'absent file becomes just the block', current: null, expected: BLOCK },
  { name: 'empty file becomes just the block', current: '', expected: BLOCK },
  { name: 'appends after user lines', current: '# mine\nFOO=bar\n', expected: `# mine\nFOO=bar\n${BLOCK}` },
  { name: 'adds a newline when the file lacks one', current: '# mine\nFOO=bar', expected: `# mine\nFOO=bar\n${BLOCK}` },
  { name: 'keeps CRLF and writes the block in CRLF', current: 'A=1\r\n\r\nB=2\r\n', expected: `A=1\r\n\r\nB=2\r\n${BLOCK_CRLF}` },
  { name: 'CRLF file without trailing newline', current: 'A=1\r\nB=2', expected: `A=1\r\nB=2\r\n${BLOCK_CRLF}` },
  {
    name: 'replaces the block in place',
    current: `# top\n${OLD_BLOCK}\n# bottom\nZ=1`,
    expected: `# top\n${BLOCK}\n# bottom\nZ=1`,
  },
  {
    name: 'replaces a CRLF block in place',
    current: `X=1\r\n${OLD_BLOCK.replaceAll('\n', '\r\n')}Y=2\r\n`,
    expected: `X=1\r\n${BLOCK_CRLF}Y=2\r\n`,
  },
  {
    name: 'keeps export prefixes, comments and unicode of other keys',
    current: 'export FOO=bar # note\n# ünïcødé 🚀\nexport  BAZ="a b"\n',
    expected: `export FOO=bar # note\n# ünïcødé 🚀\nexport  BAZ="a b"\n${BLOCK}`,
  },
  { name: 'a last line ending in a lone CR gets its LF', current: 'FOO=bar\r', expected: `FOO=bar\r\n${BLOCK_CRLF}` },
  { name: 'a file of only a CRLF block stays CRLF', current: OLD_BLOCK.replaceAll('\n', '\r\n'), expected: BLOCK_CRLF },
  { name: 'keeps a BOM', current: '\uFEFF# c\nFOO=1\n', expected: `\uFEFF# c\nFOO=1\n${BLOCK}` },
  { name: 'finds a block right after a BOM', current: `\uFEFF${OLD_BLOCK}FOO=1\n`, expected: `\uFEFF${BLOCK}FOO=1\n` },
  {
    name: 'removes legacy lines in every form',
    current: 'AGENT_EMAIL=a@b\nFOO=1\nexport AGENT_EMAIL=c@d\n  NOTE = x\nexport FOO=2\n',
    expected: `FOO=1\nexport FOO=2\n${BLOCK}`,
    removed: 3,
  },
  {
    name: 'removes legacy lines around an existing block',
    current: `AGENT_EMAIL=a@b\n${OLD_BLOCK}NOTE='n'`,
    expected: BLOCK,
    removed: 2,
  },
  {
    name: 'removes all lines of a multi-line legacy value',
    current: 'NOTE="first\nsecond"\nFOO=1\n',
    expected: `FOO=1\n${BLOCK}`,
    removed: 1,
  },
  {
    name: 'leaves assignment-like lines inside a user multi-line value',
    current: 'CERT="-----BEGIN-----\nAGENT_EMAIL=not-a-line\n-----END-----"\nAGENT_EMAIL=old\n',
    expected: `CERT="-----BEGIN-----\nAGENT_EMAIL=not-a-line\n-----END-----"\n${BLOCK}`,
    removed: 1,
  },
  {
    name: 'an unclosed user quote does not hide what follows (dotenv reads it unquoted)',
    current: "FOO='unclosed\nAGENT_EMAIL=old\n",
    expected: `FOO='unclosed\n${BLOCK}`,
    removed: 1,
  },
  {
    name: 'missing end marker: block ends at the first non-assignment line',
    current: `# top\n${BEGIN_OLD()}\nAGENT_EMAIL='old'\nGONE='x'\n# user comment\nFOO=bar\n`,
    expected: `# top\n${BLOCK}# user comment\nFOO=bar\n`,
  },
  {
    name: 'missing end marker at end of file',
    current: `${BEGIN_OLD()}\nAGENT_EMAIL='old'`,
    expected: BLOCK,
  },
  {
    name: 'a second block is removed',
    current: `${OLD_BLOCK}# between\n${OLD_BLOCK}# after\n`,
    expected: `${BLOCK}# between\n# after\n`,
  },
  {
    name: 'end marker with trailing spaces and a lenient begin marker',
    current: `${BEGIN_OLD()}\nAGENT_EMAIL='x'\n${BLOCK_END}  \nFOO=1\n`,
    expected: `${BLOCK}FOO=1\n`,
  },
  {
    name: 'a stray end marker without a begin is the user\u2019s line',
    current: `${BLOCK_END}\nFOO=1\n`,
    expected: `${BLOCK_END}\nFOO=1\n${BLOCK}`,
  },
];

function BEGIN_OLD(): string {
  return '# >>> ravi-orchestrator >>> (older wording)';
}

describe('renderEnvFile', () => {
  it.each(cases)('$name', ({ current, expected, removed }) => {
    const result = renderEnvFile(current, VARS);
    expect(result.content).toBe(expected);
    expect(result.removedLegacyLines).toBe(removed ?? 0);
    expect(result.changed).toBe(true);
  });

  it.each(cases)('is idempotent: $name', ({ current }) => {
    const once = renderEnvFile(current, VARS).content;
    const twice = renderEnvFile(once, VARS);
    expect(twice).toEqual({ content: once, changed: false, removedLegacyLines: 0, changedKeys: [] });
  });

  it('does not rewrite a file that already holds exactly this block', () => {
    const current = `# mine\r\nFOO=1\r\n${BLOCK_CRLF}`;
    const result = renderEnvFile(current, VARS);
    expect(result.content).toBe(current);
    expect(result.changed).toBe(false);
  });

  it('reports changed keys by name, sorted', () => {
    const current = `${BLOCK_BEGIN}\nC='3'\nA='1'\nB='2'\n${BLOCK_END}\n`;
    const result = renderEnvFile(current, [['D', '4'], ['B', '9'], ['A', '1']]);
    expect(result.changedKeys).toEqual(['B', 'C', 'D']);
    expect(renderEnvFile(null, VARS).changedKeys).toEqual(['AGENT_EMAIL', 'NOTE']);
  });

  it('a reordered block is rewritten but no key changed', () => {
    const result = renderEnvFile(BLOCK, [VARS[1], VARS[0]]);
    expect(result.changed).toBe(true);
    expect(result.changedKeys).toEqual([]);
  });

  it('writes an empty block for no vars', () => {
    expect(renderEnvFile('A=1\n', []).content).toBe(`A=1\n${BLOCK_BEGIN}\n${BLOCK_END}\n`);
  });

  it('rejects invalid and duplicate keys', () => {
    expect(() => renderEnvFile(null, [['1BAD', 'x']])).toThrow(/"1BAD"/);
    expect(() => renderEnvFile(null, [['A-B', 'x']])).toThrow(/"A-B"/);
    expect(() => renderEnvFile(null, [['A', 'x'], ['A', 'y']])).toThrow(/Duplicate .env key A/);
  });

  it('refuses unsafe values without leaking them', () => {
    const secret = "s3cr'et$value";
    let error: unknown;
    try {
      renderEnvFile(null, [['TOKEN', secret]]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnsafeEnvValueError);
    expect((error as UnsafeEnvValueError).key).toBe('TOKEN');
    expect((error as Error).message).not.toContain('s3cr');
  });
});

describe('readManagedBlock', () => {
  it('returns null without a block', () => {
    expect(readManagedBlock('A=1\n')).toBeNull();
  });

  it('returns the values as written, unquoted', () => {
    const map = readManagedBlock(`X=1\r\n${BLOCK_CRLF}`);
    expect([...(map ?? [])]).toEqual([...VARS]);
  });

  it('reads hand edits inside the block and later blocks win', () => {
    const content = `${BLOCK_BEGIN}\nA = raw value \nB='1'\n${BLOCK_END}\n${BLOCK_BEGIN}\nB='2'\n${BLOCK_END}\n`;
    expect(readManagedBlock(content)).toEqual(new Map([['A', 'raw value'], ['B', '2']]));
  });
});
