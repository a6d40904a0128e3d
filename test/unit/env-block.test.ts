import { describe, it, expect } from 'vitest';
import { BLOCK_BEGIN, BLOCK_END, readManagedBlock, renderEnvFile, withoutManagedBlock } from '../../src/files/env-block.js';
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
  /** A string is UTF-8 text; a Buffer is bytes as they are (invalid UTF-8 included). */
  current: string | Buffer | null;
  expected: string | Buffer;
  removed?: number;
}

const bytes = (x: string | Buffer): Buffer => (typeof x === 'string' ? Buffer.from(x, 'utf8') : x);
const input = (x: string | Buffer | null): Buffer | null => (x === null ? null : bytes(x));
/** One char per byte, so a failed comparison shows every byte. */
const shown = (x: string | Buffer): string => bytes(x).toString('latin1');

const cases: Case[] = [
  { name: 'absent file becomes just the block', current: null, expected: BLOCK },
  { name: 'empty file becomes just the block', current: '', expected: BLOCK },
  { name: 'appends after user lines', current: '# mine\nFOO=bar\n', expected: `# mine\nFOO=bar\n${BLOCK}` },
  { name: 'adds a newline when the file lacks one', current: '# mine\nFOO=bar', expected: `# mine\nFOO=bar\n${BLOCK}` },
  // bash reads `K='v'\r` as "v\r"; dotenv and compose read LF lines the same in any file, so our lines end in LF.
  { name: 'keeps CRLF user lines and writes the block in LF', current: 'A=1\r\n\r\nB=2\r\n', expected: `A=1\r\n\r\nB=2\r\n${BLOCK}` },
  { name: 'CRLF file without trailing newline: the user line ends CRLF, the block LF', current: 'A=1\r\nB=2', expected: `A=1\r\nB=2\r\n${BLOCK}` },
  { name: 'a lone-CR file gets an LF after its last CR, then the block in LF', current: 'A=1\rB=2\r', expected: `A=1\rB=2\r\n${BLOCK}` },
  {
    name: 'replaces the block in place',
    current: `# top\n${OLD_BLOCK}\n# bottom\nZ=1`,
    expected: `# top\n${BLOCK}\n# bottom\nZ=1`,
  },
  {
    name: 'replaces a CRLF block in place, in LF',
    current: `X=1\r\n${OLD_BLOCK.replaceAll('\n', '\r\n')}Y=2\r\n`,
    expected: `X=1\r\n${BLOCK}Y=2\r\n`,
  },
  {
    name: 'keeps export prefixes, comments and unicode of other keys',
    current: 'export FOO=bar # note\n# ünïcødé 🚀\nexport  BAZ="a b"\n',
    expected: `export FOO=bar # note\n# ünïcødé 🚀\nexport  BAZ="a b"\n${BLOCK}`,
  },
  { name: 'a last line ending in a lone CR gets its LF', current: 'FOO=bar\r', expected: `FOO=bar\r\n${BLOCK}` },
  { name: 'a file of only a CRLF block becomes LF', current: OLD_BLOCK.replaceAll('\n', '\r\n'), expected: BLOCK },
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
    name: 'missing end marker: the block is the run of managed keys after it; a key of the user\u2019s ends it',
    current: `# top\n${BEGIN_OLD()}\nAGENT_EMAIL='old'\nUSER_KEY='mine'\n# user comment\nFOO=bar\n`,
    expected: `# top\n${BLOCK}USER_KEY='mine'\n# user comment\nFOO=bar\n`,
  },
  {
    name: 'missing end marker right before user keys: every one of them stays',
    current: `${BEGIN_OLD()}\nUSER_KEY=mine\nexport OTHER="x y"\nNOTE=legacy\n`,
    expected: `${BLOCK}USER_KEY=mine\nexport OTHER="x y"\n`,
    removed: 1,
  },
  {
    name: 'a stray start marker before the real block: its user lines stay, the real block goes',
    current: `${BEGIN_OLD()}\nUSER=1\n${OLD_BLOCK}TAIL=2\n`,
    expected: `${BLOCK}USER=1\nTAIL=2\n`,
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

cases.push(
  {
    name: 'keeps invalid UTF-8 bytes exactly (no U+FFFD)',
    current: Buffer.from([0x41, 0x3d, 0xff, 0xfe, 0x0a, 0x23, 0xc3, 0x28, 0x0a, 0x42, 0x3d, 0xe9]),
    expected: Buffer.concat([Buffer.from([0x41, 0x3d, 0xff, 0xfe, 0x0a, 0x23, 0xc3, 0x28, 0x0a, 0x42, 0x3d, 0xe9, 0x0a]), bytes(BLOCK)]),
  },
  {
    name: 'keeps a Latin-1 file byte for byte around a block replaced in place',
    current: Buffer.concat([Buffer.from('NAME=Jos\xe9\n', 'latin1'), bytes(OLD_BLOCK), Buffer.from('CITY=S\xe3o\n', 'latin1')]),
    expected: Buffer.concat([Buffer.from('NAME=Jos\xe9\n', 'latin1'), bytes(BLOCK), Buffer.from('CITY=S\xe3o\n', 'latin1')]),
  },
  {
    name: 'removes a legacy line holding invalid bytes, keeps the rest',
    current: Buffer.concat([Buffer.from('AGENT_EMAIL=\xff\nX=\xfe\n', 'latin1')]),
    expected: Buffer.concat([Buffer.from('X=\xfe\n', 'latin1'), bytes(BLOCK)]),
    removed: 1,
  },
  // bash joins a line ending in a backslash with the next one: an empty line keeps it off our marker.
  { name: 'after a last line ending in a backslash, an empty line first', current: 'FOO=bar\\\n', expected: `FOO=bar\\\n\n${BLOCK}` },
  { name: 'the same without a final newline', current: 'FOO=bar\\', expected: `FOO=bar\\\n\n${BLOCK}` },
  { name: 'an escaped backslash (two) joins nothing', current: 'FOO=bar\\\\\n', expected: `FOO=bar\\\\\n${BLOCK}` },
  { name: 'a backslash before CRLF escapes the CR, joins nothing', current: 'FOO=bar\\\r\n', expected: `FOO=bar\\\r\n${BLOCK}` },
  { name: 'a backslash line right above a block in place', current: `FOO=bar\\\n${OLD_BLOCK}Z=1\n`, expected: `FOO=bar\\\n\n${BLOCK}Z=1\n` },
  // In a CR-only file, LF-free runs hold several lines for dotenv: none of them is ours to drop.
  {
    name: 'a CR-only file that starts with a CR-converted block loses nothing',
    current: `${OLD_BLOCK.replaceAll('\n', '\r')}USER=1\r`,
    expected: `${OLD_BLOCK.replaceAll('\n', '\r')}USER=1\r\n${BLOCK}`,
  },
  { name: 'a CR-joined legacy line stays (dotenv reads a user line in it)', current: 'AGENT_EMAIL=old\rUSER=1\n', expected: `AGENT_EMAIL=old\rUSER=1\n${BLOCK}` },
);

function BEGIN_OLD(): string {
  return '# >>> ravi-orchestrator >>> (older wording)';
}

describe('renderEnvFile', () => {
  it.each(cases)('$name', ({ current, expected, removed }) => {
    const result = renderEnvFile(input(current), VARS);
    expect(shown(result.content)).toBe(shown(expected));
    expect(result.removedLegacyLines).toBe(removed ?? 0);
    expect(result.changed).toBe(true);
  });

  it.each(cases)('is idempotent: $name', ({ current }) => {
    const once = renderEnvFile(input(current), VARS).content;
    const twice = renderEnvFile(once, VARS);
    expect(twice).toEqual({ content: once, changed: false, removedLegacyLines: 0, changedKeys: [] });
  });

  it('does not rewrite a file that already holds exactly this block', () => {
    const current = bytes(`# mine\r\nFOO=1\r\n${BLOCK}`);
    const result = renderEnvFile(current, VARS);
    expect(result.content).toEqual(current);
    expect(result.changed).toBe(false);
  });

  it('reports changed keys by name, sorted', () => {
    const current = bytes(`${BLOCK_BEGIN}\nC='3'\nA='1'\nB='2'\n${BLOCK_END}\n`);
    const result = renderEnvFile(current, [['D', '4'], ['B', '9'], ['A', '1']]);
    expect(result.changedKeys).toEqual(['B', 'C', 'D']);
    expect(renderEnvFile(null, VARS).changedKeys).toEqual(['AGENT_EMAIL', 'NOTE']);
  });

  it('a reordered block is rewritten but no key changed', () => {
    const result = renderEnvFile(bytes(BLOCK), [VARS[1], VARS[0]]);
    expect(result.changed).toBe(true);
    expect(result.changedKeys).toEqual([]);
  });

  it('writes an empty block for no vars', () => {
    expect(shown(renderEnvFile(bytes('A=1\n'), []).content)).toBe(`A=1\n${BLOCK_BEGIN}\n${BLOCK_END}\n`);
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
    expect(readManagedBlock(bytes('A=1\n'))).toBeNull();
  });

  it('returns the values as written, unquoted', () => {
    const map = readManagedBlock(bytes(`X=1\r\n${BLOCK_CRLF}`));
    expect([...(map ?? [])]).toEqual([...VARS]);
  });

  it('reads hand edits inside the block and later blocks win', () => {
    const content = `${BLOCK_BEGIN}\nA = raw value \nB='1'\n${BLOCK_END}\n${BLOCK_BEGIN}\nB='2'\n${BLOCK_END}\n`;
    expect(readManagedBlock(bytes(content))).toEqual(new Map([['A', 'raw value'], ['B', '2']]));
  });

  it('reads UTF-8 values back as text, whatever bytes surround the block', () => {
    const content = Buffer.concat([Buffer.from([0xff, 0x0a]), bytes(`${BLOCK_BEGIN}\nNAME='ünïcødé 🚀'\n${BLOCK_END}\n`)]);
    expect(readManagedBlock(content)).toEqual(new Map([['NAME', 'ünïcødé 🚀']]));
  });
});

describe('withoutManagedBlock (teardown)', () => {
  it('returns null when there is no block', () => {
    expect(withoutManagedBlock(bytes('A=1\n'), ['AGENT_EMAIL'])).toBeNull();
  });

  it('takes out every block and nothing else, invalid bytes and legacy lines included', () => {
    const user = Buffer.from('A=\xff\r\nAGENT_EMAIL=legacy\n', 'latin1');
    const content = Buffer.concat([user, bytes(OLD_BLOCK), Buffer.from('Z=\xfe', 'latin1'), bytes(`\n${OLD_BLOCK}`)]);
    expect(shown(withoutManagedBlock(content, ['AGENT_EMAIL'])!)).toBe(shown(Buffer.concat([user, Buffer.from('Z=\xfe\n', 'latin1')])));
  });

  it('after a lone start marker, takes only managed keys; the guard line before it stays', () => {
    const content = bytes(`FOO=bar\\\n\n${BLOCK_BEGIN}\nAGENT_EMAIL='x'\nUSER_KEY=mine\n`);
    expect(shown(withoutManagedBlock(content, ['AGENT_EMAIL'])!)).toBe('FOO=bar\\\n\nUSER_KEY=mine\n');
  });
});
