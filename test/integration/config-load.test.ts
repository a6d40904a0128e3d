/**
 * loadConfig against real folders: every file format cosmiconfig finds, explicit --config, search from a
 * subfolder, CLI overrides, load errors that name the file, and no temp files left next to a .ts config.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/util/errors.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIST_BUILT = existsSync(path.join(REPO_ROOT, 'dist', 'index.js'));
const STATE = '/tmp/ravi-orchestrator-config-load-state';

let root: string; // also $HOME, so the upward search stops here

beforeEach(async () => {
  root = await realpath(await mkdtemp(path.join(os.tmpdir(), 'ravi-config-load-')));
  vi.stubEnv('HOME', root);
  vi.stubEnv('RAVI_ORCHESTRATOR_STATE_DIR', STATE);
  vi.stubEnv('RAVI_ORCHESTRATOR_CACHE_DIR', path.join(root, 'cache')); // the .ts config cache (jiti's)
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await rm(root, { recursive: true, force: true });
});

async function write(relative: string, content: string): Promise<string> {
  const file = path.join(root, relative);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  return file;
}

async function loadError(options: Parameters<typeof loadConfig>[0]): Promise<ConfigError> {
  const error: unknown = await loadConfig(options).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

const TEMP_FILE = /\.[0-9a-f-]{36}\.mjs$/;

describe('loadConfig: formats', () => {
  it('loads a .ts config with a plain default export and leaves no temp file behind', async () => {
    const file = await write(
      'proj/ravi-orchestrator.config.ts',
      `import type { RawConfig } from 'ravi-orchestrator';\n` +
        `const config: RawConfig = { repos: ['.', '../other'], concurrency: 2 as number, orphans: { grace: '30s' } };\n` +
        `export default config;\n`,
    );
    const config = await loadConfig({ cwd: path.join(root, 'proj'), defaultRepo: null });
    expect(config).toMatchObject({
      source: file,
      repos: [path.join(root, 'proj'), path.join(root, 'other')],
      concurrency: 2,
      orphans: { graceMs: 30_000 },
      stateDir: STATE,
    });
    expect(await readdir(path.join(root, 'proj'))).toEqual(['ravi-orchestrator.config.ts']);
  });

  it('loads a .ts config that imports defineConfig from an installed package', async () => {
    await write('proj/node_modules/ravi-orchestrator/package.json', JSON.stringify({ name: 'ravi-orchestrator', type: 'module', exports: './index.js' }));
    await write('proj/node_modules/ravi-orchestrator/index.js', 'export function defineConfig(config) { return config; }\n');
    await write('proj/ravi-orchestrator.config.ts', `import { defineConfig } from 'ravi-orchestrator';\nexport default defineConfig({ concurrency: 7 });\n`);
    expect((await loadConfig({ cwd: path.join(root, 'proj'), defaultRepo: root })).concurrency).toBe(7);
  });

  it('resolves defineConfig from a linked package (npm link) in an rc file', async () => {
    await mkdir(path.join(root, 'proj', 'node_modules'), { recursive: true });
    await write('pkg/package.json', JSON.stringify({ name: 'ravi-orchestrator', type: 'module', exports: './index.js' }));
    await write('pkg/index.js', 'export const defineConfig = (c) => c;\n');
    await symlink(path.join(root, 'pkg'), path.join(root, 'proj', 'node_modules', 'ravi-orchestrator'), 'dir');
    await write('proj/.ravi-orchestratorrc.ts', `import { defineConfig } from 'ravi-orchestrator';\nexport default defineConfig({ concurrency: 8 });\n`);
    expect((await loadConfig({ cwd: path.join(root, 'proj'), defaultRepo: root })).concurrency).toBe(8);
  });

  it.skipIf(!DIST_BUILT)("loads this repo's example config through the package self-reference (dist built)", async () => {
    const file = path.join(REPO_ROOT, 'ravi-orchestrator.config.ts');
    const config = await loadConfig({ configFile: file, cwd: REPO_ROOT, defaultRepo: REPO_ROOT });
    expect(config).toMatchObject({ source: file, repos: [REPO_ROOT], provider: { kind: 'local' }, concurrency: 4 });
    expect((await readdir(REPO_ROOT)).filter((name) => TEMP_FILE.test(name))).toEqual([]);
  });

  it('the JSON example holds the same settings as the TypeScript example', async () => {
    const json = await readFile(path.join(REPO_ROOT, 'config', 'ravi-orchestrator.config.example.json'), 'utf8');
    const file = await write('ravi-orchestrator.config.json', json);
    const config = await loadConfig({ cwd: root, defaultRepo: root });
    expect(config).toMatchObject({ source: file, repos: [root], provider: { kind: 'local' }, orphans: { graceMs: 600_000 } });
    const ts = await readFile(path.join(REPO_ROOT, 'ravi-orchestrator.config.ts'), 'utf8');
    const plain = ts.replace(/^import .*$/m, '').replace('defineConfig(', '(');
    await rm(file);
    const fromTs = await loadConfig({ configFile: await write('example.config.ts', plain), cwd: root, defaultRepo: root });
    expect({ ...fromTs, source: null }).toEqual({ ...config, source: null });
  });

  it.each([
    ['ravi-orchestrator.config.json', '{ "concurrency": 3 }'],
    ['ravi-orchestrator.config.yaml', 'concurrency: 3\n'],
    ['ravi-orchestrator.config.yml', 'concurrency: 3\n'],
    ['.ravi-orchestratorrc', 'concurrency: 3\n'],
    ['.ravi-orchestratorrc.json', '{ "concurrency": 3 }'],
    ['ravi-orchestrator.config.mjs', 'export default { concurrency: 3 };\n'],
    ['ravi-orchestrator.config.cjs', 'module.exports = { concurrency: 3 };\n'],
    ['package.json', JSON.stringify({ name: 'app', 'ravi-orchestrator': { concurrency: 3 } })],
  ])('loads %s', async (name, content) => {
    const file = await write(name, content);
    const config = await loadConfig({ cwd: root, defaultRepo: root });
    expect(config).toMatchObject({ source: file, concurrency: 3 });
  });

  it('skips a package.json without the key and keeps searching upwards', async () => {
    const file = await write('ravi-orchestrator.config.json', '{ "concurrency": 5 }');
    await write('app/package.json', '{ "name": "app" }');
    expect(await loadConfig({ cwd: path.join(root, 'app'), defaultRepo: root })).toMatchObject({ source: file, concurrency: 5 });
  });

  it('reloads a changed .mjs config instead of returning the cached module', async () => {
    const file = await write('ravi-orchestrator.config.mjs', 'export default { concurrency: 1 };\n');
    expect((await loadConfig({ cwd: root, defaultRepo: root })).concurrency).toBe(1);
    await writeFile(file, 'export default { concurrency: 2 };\n');
    expect((await loadConfig({ cwd: root, defaultRepo: root })).concurrency).toBe(2);
  });
});

describe('loadConfig: search and overrides', () => {
  it('finds the config from a subfolder and resolves its relative repos against the config folder', async () => {
    const file = await write('ravi-orchestrator.config.json', JSON.stringify({ repos: ['./app', '~/lib'] }));
    const cwd = path.join(root, 'app', 'src', 'deep');
    await mkdir(cwd, { recursive: true });
    const config = await loadConfig({ cwd, defaultRepo: null });
    expect(config.source).toBe(file);
    expect(config.repos).toEqual([path.join(root, 'app'), path.join(root, 'lib')]);
  });

  it('uses defaults (source null) when no config exists up to the home folder', async () => {
    await write('ravi-orchestrator.config.json', '{ "concurrency": 9 }');
    vi.stubEnv('HOME', path.join(root, 'home'));
    const cwd = path.join(root, 'home', 'proj');
    await mkdir(cwd, { recursive: true });
    const config = await loadConfig({ cwd, defaultRepo: cwd });
    expect(config).toMatchObject({ source: null, concurrency: 4, repos: [cwd], stateDir: STATE });
  });

  it('applies --repo and --state-dir over the config, relative to cwd', async () => {
    await write('ravi-orchestrator.config.json', JSON.stringify({ repos: ['./configured'], stateDir: './state', concurrency: 2 }));
    const cwd = path.join(root, 'work');
    await mkdir(cwd, { recursive: true });
    const config = await loadConfig({ cwd, defaultRepo: null, overrides: { repos: ['a', '~/b'], stateDir: 'st' } });
    expect(config).toMatchObject({ repos: [path.join(cwd, 'a'), path.join(root, 'b')], stateDir: path.join(cwd, 'st'), concurrency: 2 });
    const plain = await loadConfig({ cwd, defaultRepo: null, overrides: { repos: [] } });
    expect(plain).toMatchObject({ repos: [path.join(root, 'configured')], stateDir: path.join(root, 'state') });
  });

  it('falls back to the main worktree when nothing is found upwards from a worktree elsewhere', async () => {
    vi.stubEnv('HOME', path.join(root, 'home'));
    const main = path.join(root, 'home', 'code', 'app');
    const file = await write('home/code/app/ravi-orchestrator.config.json', '{ "concurrency": 7 }');
    const worktree = path.join(root, 'home', '.superset', 'worktrees', 'proj', 'feat');
    await mkdir(worktree, { recursive: true });
    expect((await loadConfig({ cwd: worktree, defaultRepo: worktree })).source).toBeNull();
    const config = await loadConfig({ cwd: worktree, defaultRepo: worktree, fallbackDirs: [main] });
    expect(config).toMatchObject({ source: file, concurrency: 7 });
  });

  it('loads an explicit --config file, relative to cwd', async () => {
    await write('ravi-orchestrator.config.json', '{ "concurrency": 9 }');
    const file = await write('cfg/team.yaml', 'concurrency: 6\nrepos: [..]\n');
    const config = await loadConfig({ configFile: 'cfg/team.yaml', cwd: root, defaultRepo: null });
    expect(config).toMatchObject({ source: file, concurrency: 6, repos: [root] });
  });
});

describe('loadConfig: errors name the file and the cause', () => {
  it('an explicit --config file that does not exist', async () => {
    const error = await loadError({ configFile: 'nope.ts', cwd: root, defaultRepo: root });
    expect(error.file).toBe(path.join(root, 'nope.ts'));
    expect(error.message).toBe(`Config file not found: ${path.join(root, 'nope.ts')} (given with --config)`);
  });

  it('an explicit package.json without the key', async () => {
    await write('package.json', '{ "name": "x" }');
    const error = await loadError({ configFile: 'package.json', cwd: root, defaultRepo: root });
    expect(error.message).toMatch(/has no "ravi-orchestrator" key/);
  });

  it.each([
    ['ravi-orchestrator.config.json', '{ "concurrency": 2,, "token": "sk-live-0123456789abcdef" }', /Expected double-quoted property name/],
    ['ravi-orchestrator.config.yaml', 'concurrency: 2\n  bad: [\ntoken: sk-live-0123456789abcdef\n', /bad indentation.*\(2:6\)/],
    ['ravi-orchestrator.config.ts', `export default {\n  concurrency: 2\n  repos: [\n  token: 'sk-live-0123456789abcdef',\n};\n`, /syntax error at line 3, column 3: Unexpected token, expected ","/],
    ['ravi-orchestrator.config.mjs', `export default {\n  concurrency: 2,,\n  token: 'sk-live-0123456789abcdef',\n};\n`, /syntax error at line 2, column 18/],
  ])('a syntax error in %s', async (name, content, cause) => {
    const file = await write(name, content);
    const error = await loadError({ cwd: root, defaultRepo: root });
    expect(error.file).toBe(file);
    expect(error.message).toContain(`Cannot load config file ${file}: `);
    expect(error.message).toMatch(cause);
    expect(error.message).not.toContain('sk-live');
    expect(error.cause).toBeDefined();
    expect((await readdir(root)).filter((n) => TEMP_FILE.test(n))).toEqual([]);
  });

  it('a config that throws, and a missing defineConfig package, with a hint', async () => {
    await write('a/ravi-orchestrator.config.ts', `throw new Error('boom');\n`);
    expect((await loadError({ cwd: path.join(root, 'a'), defaultRepo: root })).message).toMatch(/config\.ts: boom$/);
    const file = await write('b/ravi-orchestrator.config.ts', `import { defineConfig } from 'ravi-orchestrator';\nexport default defineConfig({});\n`);
    const error = await loadError({ cwd: path.join(root, 'b'), defaultRepo: root });
    expect(error.message).toBe(
      `Cannot load config file ${file}: Cannot find module 'ravi-orchestrator'; install it in this project (npm i -D ravi-orchestrator) or export a plain object instead of using defineConfig`,
    );
    expect(await readdir(path.join(root, 'b'))).toEqual(['ravi-orchestrator.config.ts']);
  });

  it('a .ts config without a default export', async () => {
    await write('ravi-orchestrator.config.ts', 'export const config = { concurrency: 2 };\n');
    expect((await loadError({ cwd: root, defaultRepo: root })).message).toMatch(/exports no config: write `export default defineConfig/);
  });

  it('an explicit empty .ts file; a blank package.json does not hide the config next to it', async () => {
    await write('empty.ts', '\n');
    expect((await loadError({ configFile: 'empty.ts', cwd: root, defaultRepo: root })).message).toMatch(/exports no config/);
    await write('package.json', '');
    const file = await write('ravi-orchestrator.config.yaml', 'concurrency: 12\n');
    expect(await loadConfig({ cwd: root, defaultRepo: root })).toMatchObject({ source: file, concurrency: 12 });
  });

  it('an invalid value names the file and the key', async () => {
    const file = await write('.ravi-orchestratorrc.json', '{ "concurrency": 0, "concurency": 1 }');
    const error = await loadError({ cwd: root, defaultRepo: root });
    expect(error.message).toBe(
      `Invalid config in ${file}:\n  - concurrency: expected an integer from 1 to 64 (got 0)\n  - concurency: unknown key (did you mean "concurrency"?)`,
    );
  });
});

describe('loadConfig: configs already validated (valid-config-cache.ts)', () => {
  it('validates an edited config again: the error still names the file and the key', async () => {
    const file = await write('ravi-orchestrator.config.json', '{ "concurrency": 3 }');
    expect(await loadConfig({ cwd: root, defaultRepo: root })).toMatchObject({ source: file, concurrency: 3 });
    expect(await readdir(path.join(root, 'cache', 'valid-configs'))).toHaveLength(1); // the accepted config was kept
    expect(await loadConfig({ cwd: root, defaultRepo: root })).toMatchObject({ source: file, concurrency: 3 });
    await write('ravi-orchestrator.config.json', '{ "concurrency": 3, "concurency": 1 }');
    expect((await loadError({ cwd: root, defaultRepo: root })).message).toBe(`Invalid config in ${file}:\n  - concurency: unknown key (did you mean "concurrency"?)`);
    await write('ravi-orchestrator.config.json', '{ "concurrency": 3 }');
    expect(await loadConfig({ cwd: root, defaultRepo: root })).toMatchObject({ concurrency: 3 });
    expect(await readdir(path.join(root, 'cache', 'valid-configs'))).toHaveLength(1); // the invalid one was not
  });

  it('uses an entry only when it was stored for this very config: one left under the same name by another is not', async () => {
    const file = await write('ravi-orchestrator.config.json', '{ "concurrency": 3 }');
    expect(await loadConfig({ cwd: root, defaultRepo: root })).toMatchObject({ source: file, concurrency: 3 });
    const folder = path.join(root, 'cache', 'valid-configs');
    const [name] = await readdir(folder);
    const entryFile = path.join(folder, name as string);
    const entry = JSON.parse(await readFile(entryFile, 'utf8')) as { key: string; valid: Record<string, unknown> };
    expect(entry.key).toContain('"concurrency":3');
    // What two configs whose keys share a hash would leave: another key, another config, in this file.
    await writeFile(entryFile, JSON.stringify({ key: `${entry.key} `, valid: { ...entry.valid, concurrency: 99 } }));
    expect(await loadConfig({ cwd: root, defaultRepo: root })).toMatchObject({ concurrency: 3 });
    expect((JSON.parse(await readFile(entryFile, 'utf8')) as { key: string }).key).toBe(entry.key); // stored again
  });

  it('gives back what the schema returned (trimmed), and still applies the rules that span fields', async () => {
    await write('ravi-orchestrator.config.json', JSON.stringify({ stateDir: '  state  ', secrets: { vault: ' team ' }, env: { secrets: ['KEY'] } }));
    const first = await loadConfig({ cwd: root, defaultRepo: root });
    expect(first).toMatchObject({ stateDir: path.join(root, 'state'), secrets: { vault: 'team' } });
    expect(await loadConfig({ cwd: root, defaultRepo: root })).toEqual(first);
    await write('ravi-orchestrator.config.json', JSON.stringify({ provider: { kind: 'ravi' }, env: { secrets: ['KEY'] } }));
    expect((await loadError({ cwd: root, defaultRepo: root })).message).toMatch(/secrets\.vault: required with the ravi provider/);
    expect((await loadError({ cwd: root, defaultRepo: root })).message).toMatch(/secrets\.vault: required with the ravi provider/);
  });

  it('without a config file, a blank --state-dir or --repo is still refused by the schema', async () => {
    const blank = await loadError({ cwd: root, defaultRepo: root, overrides: { stateDir: '  ' } });
    expect(blank.message).toBe('Invalid config (no config file; built-in defaults and command-line options):\n  - stateDir: must not be empty (got "  ")');
    expect(await loadConfig({ cwd: root, defaultRepo: root, overrides: { repos: [' a '], stateDir: 's ' } })).toMatchObject({ repos: [path.join(root, ' a')], stateDir: path.join(root, 's') });
  });
});
