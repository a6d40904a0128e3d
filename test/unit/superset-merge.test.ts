/** Table tests of merging our commands into Superset's config.json and the config.local.json overlay. */
import { describe, expect, it } from 'vitest';
import {
  mergeSupersetConfig,
  readInstallCommand,
  renderSetupScript,
  SETUP_COMMAND as S,
  shellQuote,
  SupersetConfigError,
  TEARDOWN_COMMAND as T,
  type SupersetConfigKind,
} from '../../src/init/superset.js';

const FILE = '/repo/.superset/config.json';
const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

interface MergeCase {
  readonly name: string;
  readonly kind: SupersetConfigKind;
  readonly existing: unknown;
  /** The parsed result; undefined means "unchanged". */
  readonly expected?: unknown;
}

const cases: readonly MergeCase[] = [
  { name: 'absent file', kind: 'shared', existing: null, expected: { setup: [S], teardown: [T] } },
  { name: 'empty object', kind: 'shared', existing: {}, expected: { setup: [S], teardown: [T] } },
  {
    name: 'keeps run, cwd, unknown keys and existing commands (setup after, teardown before)',
    kind: 'shared',
    existing: { setup: ['bun install'], teardown: ['docker compose down'], run: ['bun dev'], cwd: 'apps/web', x: { y: 1 } },
    expected: { setup: ['bun install', S], teardown: [T, 'docker compose down'], run: ['bun dev'], cwd: 'apps/web', x: { y: 1 } },
  },
  { name: 'already ours: unchanged', kind: 'shared', existing: { setup: ['bun install', S], teardown: [T] } },
  {
    name: 'script already run another way counts as present',
    kind: 'shared',
    existing: { setup: ['./.superset/setup.sh'], teardown: ['bash "$SUPERSET_ROOT_PATH/.superset/teardown.sh"'] },
  },
  {
    name: 'a similar but different script is not ours',
    kind: 'shared',
    existing: { setup: ['bash .superset/setup.sh.bak'] },
    expected: { setup: ['bash .superset/setup.sh.bak', S], teardown: [T] },
  },
  { name: 'overlay: absent file', kind: 'local', existing: null, expected: { setup: { after: [S] }, teardown: { before: [T] } } },
  {
    name: 'overlay: wrap forms keep the other side',
    kind: 'local',
    existing: { setup: { before: ['echo hi'] }, teardown: { before: ['echo bye'], after: ['echo done'] }, run: { after: ['x'] } },
    expected: { setup: { before: ['echo hi'], after: [S] }, teardown: { before: [T, 'echo bye'], after: ['echo done'] }, run: { after: ['x'] } },
  },
  {
    name: 'overlay: array form (replaces the base) is extended in place',
    kind: 'local',
    existing: { setup: ['npm ci'], teardown: [] },
    expected: { setup: ['npm ci', S], teardown: [T] },
  },
  { name: 'overlay: already ours in either side', kind: 'local', existing: { setup: { before: [S] }, teardown: { after: [T] } } },
];

describe('mergeSupersetConfig', () => {
  it.each(cases)('$name', ({ kind, existing, expected }) => {
    const text = existing === null ? null : json(existing);
    const result = mergeSupersetConfig(text, kind, FILE);
    if (expected === undefined) {
      expect(result).toEqual({ content: text, changed: false });
      return;
    }
    expect(result.changed).toBe(true);
    expect(JSON.parse(result.content)).toEqual(expected);
    // Idempotent: merging the result again changes nothing, byte for byte.
    expect(mergeSupersetConfig(result.content, kind, FILE)).toEqual({ content: result.content, changed: false });
  });

  it('keeps key order and the file\'s own indentation', () => {
    const text = '{\n\t"run": ["bun dev"],\n\t"setup": []\n}\n';
    const { content } = mergeSupersetConfig(text, 'shared', FILE);
    expect(content).toBe(`{\n\t"run": [\n\t\t"bun dev"\n\t],\n\t"setup": [\n\t\t"${S}"\n\t],\n\t"teardown": [\n\t\t"${T}"\n\t]\n}\n`);
  });

  const invalid: ReadonlyArray<{ name: string; kind: SupersetConfigKind; text: string; key: string | null; message: RegExp }> = [
    { name: 'string-form setup', kind: 'shared', text: json({ setup: '.superset/setup.sh' }), key: 'setup', message: /"setup" must be an array of strings, got a string \(write \[".superset\/setup.sh"\]\)/ },
    { name: 'array with a number', kind: 'shared', text: json({ teardown: ['a', 1] }), key: 'teardown', message: /"teardown" must be an array of strings/ },
    { name: 'wrap form in the shared file', kind: 'shared', text: json({ setup: { after: [] } }), key: 'setup', message: /got an object/ },
    { name: 'run of the wrong type', kind: 'shared', text: json({ run: 'bun dev' }), key: 'run', message: /"run" must be/ },
    { name: 'empty cwd', kind: 'shared', text: json({ cwd: ' ' }), key: 'cwd', message: /"cwd" must be a non-empty string/ },
    { name: 'overlay with a string before', kind: 'local', text: json({ teardown: { before: 'x' } }), key: 'teardown.before', message: /"teardown.before" must be an array/ },
    { name: 'overlay with a number', kind: 'local', text: json({ setup: 3 }), key: 'setup', message: /array of strings or \{"before"/ },
    { name: 'not JSON', kind: 'shared', text: '{ "setup": [ }', key: null, message: /is not valid JSON/ },
    { name: 'a JSON array', kind: 'shared', text: '[]', key: null, message: /must hold a JSON object/ },
  ];

  it.each(invalid)('refuses $name, naming the file and key', ({ kind, text, key, message }) => {
    const error = (() => {
      try {
        mergeSupersetConfig(text, kind, FILE);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(SupersetConfigError);
    const e = error as SupersetConfigError;
    expect(e.message).toMatch(message);
    expect(e.message).toContain(FILE);
    expect(e.message).toContain('Nothing was changed');
    expect(e.file).toBe(FILE);
    expect(e.key).toBe(key);
  });
});

describe('setup.sh install step', () => {
  it.each(['bun install', "npm ci && echo 'done'", `echo "$HOME" '\\' it's`])('round-trips %s through the script', (install) => {
    const script = renderSetupScript(install);
    expect(script).toContain(`install_command=${shellQuote(install)}`);
    expect(readInstallCommand(script, 'setup.sh')).toBe(install);
  });

  it('has none when not given', () => {
    expect(readInstallCommand(renderSetupScript(null), 'setup.sh')).toBeNull();
    expect(renderSetupScript('')).toBe(renderSetupScript(null));
  });
});
