import { describe, it, expect, afterEach } from 'vitest';
import fc from 'fast-check';
import { parse } from 'dotenv';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BLOCK_BEGIN, BLOCK_END, renderEnvFile } from '../../src/files/env-block.js';
import { quoteEnvValue, UnsafeEnvValueError } from '../../src/files/env-value.js';

const run = promisify(execFile);
/** Sources .env the way users do, then prints the named variables as JSON. Values never touch the script. */
const READ_BACK =
  'set -a; . ./.env; set +a; exec "$NODE_BIN" -e ' +
  `'const o={};for(const k of process.argv.slice(1))o[k]=process.env[k]??null;process.stdout.write(JSON.stringify(o))' "$@"`;
const SHELLS = ['bash', 'sh'] as const;
const USER_TEXT = "# user's own lines\nexport OTHER='kept'\nUSER_PLAIN=value # comment\n";

const TRICKY: Record<string, string> = {
  PLAIN: 'plain',
  SPACES: 'with  inner  spaces',
  PADDED: '  leading and trailing  ',
  HASH: 'a # not a comment',
  HASH_FIRST: '#starts-with-hash',
  DOLLAR: '$HOME and ${PATH} and $(id)',
  BACKTICK: '`whoami`',
  BACKSLASH: 'back\\slash \\n \\t C:\\path\\to',
  APOSTROPHE: "it's",
  APOSTROPHES: "it's #1 = 'great'!",
  ONLY_QUOTE: "'",
  DOUBLE_QUOTE: 'say "hi"',
  MIXED_NO_APOSTROPHE: 'mix `"$\\ all',
  UNICODE: 'ünïcødé 🚀 日本語 \u2028 \uFEFF',
  EQUALS: '=',
  EQUALS_MANY: 'a=b==c',
  EMPTY: '',
  SPACE: ' ',
  TAB: 'tab\there',
  SHELL_META: 'x; echo pwned && rm -rf ~ | cat > /dev/null &',
  GLOB: '* ? [a-z] ~',
  BANG: '!bang !! !$',
  URL: 'postgres://u:p%40ss@host:5432/db?sslmode=require',
};

const REFUSED = ["it's $5", `it's "quoted"`, "don't `run`", "it's C:\\", 'ends with \\', 'two\nlines', 'cr\rhere', 'nul\0'];

/** Values biased towards what quoting cares about, plus any unicode grapheme (same as the unit property). */
const tricky = fc.constantFrom("'", '"', '$', '`', '\\', '#', ' ', '\t', '=', '\n', '\r', 'é', '🚀', '\u2028', '${X}', '\\n', '!');
const envValue = fc.string({
  unit: fc.oneof({ weight: 3, arbitrary: tricky }, { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) }),
  maxLength: 24,
});

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function readBack(shell: string, content: string | Buffer, keys: readonly string[]): Promise<Record<string, string | null>> {
  dir ??= await mkdtemp(join(tmpdir(), 'ravi-env-'));
  await writeFile(join(dir, '.env'), content);
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_BIN: process.execPath };
  const { stdout } = await run(shell, ['-c', READ_BACK, shell, ...keys], { cwd: dir, env });
  return JSON.parse(stdout) as Record<string, string | null>;
}

/** Writes the vars as our block after some user lines; returns what the shell and dotenv read back. */
async function roundTrip(shell: string, vars: ReadonlyArray<readonly [string, string]>) {
  const { content } = renderEnvFile(Buffer.from(USER_TEXT), vars);
  const fromShell = await readBack(shell, content, vars.map(([k]) => k));
  const fromDotenv = parse(await readFile(join(dir!, '.env'), 'utf8'));
  return { fromShell, fromDotenv, expected: Object.fromEntries(vars) };
}

function isLegitRefusal(value: string): boolean {
  return /[\n\r\0]/.test(value) || value.endsWith('\\') || (value.includes("'") && /["$`\\]/.test(value));
}

describe.each(SHELLS)('values read back through `set -a; . ./.env` in %s', (shell) => {
  it('reads back every tricky value exactly, and so does dotenv', async () => {
    const vars = Object.entries(TRICKY);
    const { fromShell, fromDotenv, expected } = await roundTrip(shell, vars);
    expect(fromShell).toEqual(expected);
    expect(fromDotenv).toMatchObject(expected);
    expect(fromDotenv).toMatchObject({ OTHER: 'kept', USER_PLAIN: 'value' });
  });

  it('reads back a fast-check sample exactly (one shell call)', async () => {
    const seed = Date.now();
    const values = fc.sample(envValue, { numRuns: 60, seed });
    const accepted: Array<[string, string]> = [];
    values.forEach((value, i) => {
      try {
        quoteEnvValue('K', value);
        accepted.push([`V${i}`, value]);
      } catch (error) {
        expect(error, `seed ${seed}`).toBeInstanceOf(UnsafeEnvValueError);
        expect(isLegitRefusal(value), `seed ${seed}: refused ${JSON.stringify(value)}`).toBe(true);
      }
    });
    expect(accepted.length).toBeGreaterThan(10);
    const { fromShell, fromDotenv, expected } = await roundTrip(shell, accepted);
    expect(fromShell, `seed ${seed}`).toEqual(expected);
    expect(fromDotenv, `seed ${seed}`).toMatchObject(expected);
  });
});

/**
 * User files our block must live in. Each: the user's bytes before our block. bash must read our values exactly
 * (`set -a; . ./.env; printf %s "$KEY"`), so must dotenv, and every user byte must survive.
 */
const HOSTILE_FILES: Record<string, Buffer> = {
  'CRLF lines': Buffer.from('# windows\r\nFOO=bar\r\nexport OTHER=x\r\n'),
  'CRLF, last line unfinished': Buffer.from('FOO=bar\r\nLAST=1'),
  'CR-only lines': Buffer.from('# old mac\rFOO=bar\rOTHER=x\r'),
  'a last line ending in a backslash': Buffer.from('PATH_ISH=C:\\tools\\\n'),
  'the same, unfinished': Buffer.from('# note \\\nWIN=C:\\'),
  'invalid UTF-8 and Latin-1 bytes': Buffer.from([0x23, 0x20, 0xff, 0xfe, 0x0a, 0x4e, 0x3d, 0x4a, 0x6f, 0x73, 0xe9, 0x0a, 0x58, 0x3d, 0x61, 0xc3, 0x62, 0x0a]),
  'a BOM': Buffer.from('\uFEFF# with a BOM\nFOO=1\n'),
};

/** One bash per file: sources it, then prints each named variable NUL-terminated (names come in as arguments). */
async function readWithBash(content: Buffer, keys: readonly string[]): Promise<Record<string, string>> {
  dir ??= await mkdtemp(join(tmpdir(), 'ravi-env-'));
  await writeFile(join(dir, '.env'), content);
  // stderr is dropped: a user's own lines need not be valid shell (a BOM line is "command not found").
  const script = 'set -a; . ./.env 2>/dev/null; for k; do printf "%s\\0" "${!k}"; done';
  const { stdout } = await run('bash', ['-c', script, 'bash', ...keys], { cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  const values = stdout.split('\0');
  return Object.fromEntries(keys.map((key, i) => [key, values[i] ?? '(missing)']));
}

describe('our values in hostile user files', () => {
  const vars: Array<[string, string]> = [['AGENT_EMAIL', 'ws-x@agents.localhost'], ['TOKEN', 'sk-abc $HOME `x` \\ "q"'], ['NOTE', "it's ünïcødé"]];

  it.each(Object.keys(HOSTILE_FILES))('%s: bash and dotenv read them exactly; the user bytes are untouched', async (name) => {
    const user = HOSTILE_FILES[name]!;
    const { content } = renderEnvFile(user, vars);
    const at = content.indexOf(BLOCK_BEGIN);
    const tail = content.subarray(content.indexOf(BLOCK_END) + BLOCK_END.length + 1);
    expect(content.subarray(0, user.length).equals(user), 'user bytes before the block').toBe(true);
    expect(/^(?:\r?\n)?\n?$/.test(content.subarray(user.length, at).toString('latin1')), 'only a line end and a guard line added').toBe(true);
    expect(tail.length).toBe(0);
    expect(await readWithBash(content, vars.map(([k]) => k))).toEqual(Object.fromEntries(vars));
    expect(parse(content)).toMatchObject(Object.fromEntries(vars));
    // And again on the file as rewritten: a fixpoint, read the same.
    expect(renderEnvFile(content, vars).changed).toBe(false);
  });

  it('after a lone start marker (end marker lost), the user lines after it stay and still read', async () => {
    const before = Buffer.from('A=1\n');
    const after = Buffer.from('USER_KEY=mine\nexport OTHER="kept"\n');
    const current = Buffer.concat([before, Buffer.from(`${BLOCK_BEGIN}\nAGENT_EMAIL='old'\n`), after]);
    const { content } = renderEnvFile(current, vars);
    expect(content.subarray(content.length - after.length).equals(after)).toBe(true);
    expect(await readWithBash(content, ['USER_KEY', 'OTHER', ...vars.map(([k]) => k)])).toEqual({ USER_KEY: 'mine', OTHER: 'kept', ...Object.fromEntries(vars) });
    expect(parse(content)).toMatchObject({ USER_KEY: 'mine', OTHER: 'kept', ...Object.fromEntries(vars) });
  });
});

describe('why the refusals exist (hand-written forms that read back wrong)', () => {
  const wrongForms: Array<[string, string, string]> = [
    ['$ in double quotes', "it's $HOME", `"it's $HOME"`],
    ['backtick in double quotes', "it's `echo x`", '"it\'s `echo x`"'],
    ['backslash in double quotes', "it's \\\\n", `"it's \\\\n"`],
    ['escaped double quote', `it's "q"`, `"it's \\"q\\""`],
    ['trailing backslash in single quotes', 'C:\\', "'C:\\'\nNEXT=' #x'"],
  ];
  it.each(wrongForms)('%s: bash or dotenv disagrees', async (_name, value, written) => {
    const content = `K=${written}\n`;
    const fromDotenv = parse(content).K;
    const fromShell = await readBack('bash', content, ['K']).then((o) => o.K, () => 'bash failed');
    expect(fromDotenv === value && fromShell === value).toBe(false);
  });
});

describe('values no form can carry', () => {
  it.each(REFUSED)('refuses %j, naming the key but not the value', (value) => {
    expect(() => quoteEnvValue('SECRET', value)).toThrow(UnsafeEnvValueError);
    try {
      quoteEnvValue('SECRET', value);
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain('SECRET');
      expect(message).toContain('ravi-orchestrator exec');
      expect(message).not.toContain(value);
      expect((error as UnsafeEnvValueError).code).toBe('UNSAFE_ENV_VALUE');
    }
  });
});
