/**
 * .ts configs through jiti, against real folders: the transpiled code is kept in a per-user cache folder of
 * ours (owner-only; a folder others could write is not used), an unchanged config is read from it and not
 * transpiled again, an edit is never served stale, a syntax error names its line and column (never the
 * secret beside it), and no load writes anything next to the config, whatever the config uses (relative
 * and bare imports, import.meta, a dynamic import, top-level await, an enum), which is watched with fs.watch.
 * That a warm run of the built CLI never loads the transpiler is checked in test/e2e/config-ts-cache.test.ts.
 */
import { eventsDuring } from '../support/fs-events.js';
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { userCacheDir } from '../../src/config/state-dir.js';
import { findSyntaxError } from '../../src/config/ts-loader.js';
import { ConfigError } from '../../src/util/errors.js';

const POSIX = process.platform !== 'win32';
const ROOT = POSIX && process.getuid?.() === 0;

let root: string;
let proj: string;
let cacheDir: string;
let configFile: string;

beforeEach(async () => {
  root = await realpath(await mkdtemp(path.join(os.tmpdir(), 'ravi-ts-cache-')));
  vi.stubEnv('HOME', root);
  vi.stubEnv('RAVI_ORCHESTRATOR_STATE_DIR', path.join(root, 'state'));
  vi.stubEnv('RAVI_ORCHESTRATOR_CACHE_DIR', path.join(root, 'cache'));
  proj = path.join(root, 'proj');
  await mkdir(proj);
  configFile = path.join(proj, 'ravi-orchestrator.config.ts');
  cacheDir = userCacheDir('jiti');
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await rm(root, { recursive: true, force: true });
});

const source = (concurrency: number) =>
  `import type { RawConfig } from 'ravi-orchestrator';\nconst config: RawConfig = { concurrency: ${concurrency} as number };\nexport default config;\n`;
const BROKEN = `export default {\n  concurrency: 2\n  repos: [\n  token: 'sk-live-0123456789abcdef',\n};\n`;
const SYNTAX_ERROR = /^Cannot load config file .*: syntax error at line 3, column 3: Unexpected token, expected ","$/;
const entries = async () => readdir(cacheDir).catch(() => [] as string[]);
const load = async (cwd = proj) => (await loadConfig({ cwd, defaultRepo: cwd })).concurrency;
const loadError = async () => {
  const error: unknown = await loadConfig({ cwd: proj, defaultRepo: proj }).then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
};
/** The one cache entry, with the inode and mtime that show whether it was written again. */
async function onlyEntry(): Promise<{ name: string; ino: number; mtimeMs: number; text: string }> {
  const names = await entries();
  expect(names).toHaveLength(1);
  const file = path.join(cacheDir, names[0] ?? '');
  const info = await stat(file);
  return { name: names[0] ?? '', ino: info.ino, mtimeMs: info.mtimeMs, text: await readFile(file, 'utf8') };
}

describe('the .ts config cache', () => {
  it('keeps one entry per config in an owner-only folder, read and not rewritten while the config is unchanged', async () => {
    await writeFile(configFile, source(2));
    expect(await load()).toBe(2);
    const first = await onlyEntry();
    expect(first.text).toContain('concurrency: 2');
    if (POSIX) expect((await stat(cacheDir)).mode & 0o777).toBe(0o700);
    expect(await load()).toBe(2);
    expect(await onlyEntry()).toEqual(first);
  });

  it('an edit is never served stale; the entry follows the current version', async () => {
    await writeFile(configFile, source(1));
    expect(await load()).toBe(1);
    await writeFile(configFile, source(2));
    expect(await load()).toBe(2);
    expect((await onlyEntry()).text).toContain('concurrency: 2');
    await writeFile(configFile, source(1));
    expect(await load()).toBe(1);
    expect((await onlyEntry()).text).toContain('concurrency: 1');
  });

  it('a syntax error is reported with line and column each time, without the secret, and never cached', async () => {
    await writeFile(configFile, BROKEN);
    for (const error of [await loadError(), await loadError()]) {
      expect(error.message).toMatch(SYNTAX_ERROR);
      expect(error.message).not.toContain('sk-live');
      expect(error.cause).toBeInstanceOf(SyntaxError);
    }
    expect(await entries()).toEqual([]);
    await writeFile(configFile, source(2)); // fixed: loads
    expect(await load()).toBe(2);
  });

  it.skipIf(!POSIX)('a folder that group or others can write is not used; loads still work', async () => {
    await mkdir(cacheDir, { recursive: true, mode: 0o777 });
    await chmod(cacheDir, 0o777);
    await writeFile(configFile, source(3));
    expect(await load()).toBe(3);
    expect(await entries()).toEqual([]);
    await chmod(cacheDir, 0o700); // the control: the same folder, ours alone, is used
    expect(await load()).toBe(3);
    expect(await entries()).toHaveLength(1);
  });

  it.skipIf(!ROOT)('a folder owned by another user is not used (needs root to chown)', async () => {
    await mkdir(cacheDir, { recursive: true, mode: 0o700 });
    await chown(cacheDir, 4242, 4242);
    await writeFile(configFile, source(3));
    expect(await load()).toBe(3);
    expect(await entries()).toEqual([]);
  });

  it('a cache that cannot be created costs a transpile, not the load', async () => {
    await writeFile(path.join(root, 'not-a-folder'), '');
    vi.stubEnv('RAVI_ORCHESTRATOR_CACHE_DIR', path.join(root, 'not-a-folder'));
    await writeFile(configFile, source(6));
    expect(await load()).toBe(6);
    expect(await load()).toBe(6);
  });
});

describe('a .ts config writes nothing next to itself', () => {
  /** A stand-in for the installed package, in `dir`/node_modules; its defineConfig adds `extra` to concurrency. */
  async function installPackage(dir: string, extra: number): Promise<void> {
    const pkg = path.join(dir, 'node_modules', 'ravi-orchestrator');
    await mkdir(path.join(pkg, 'dist'), { recursive: true });
    await writeFile(path.join(pkg, 'package.json'), JSON.stringify({ name: 'ravi-orchestrator', type: 'module', exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } } }));
    await writeFile(path.join(pkg, 'dist', 'index.js'), `export const defineConfig = (c) => ({ ...c, concurrency: c.concurrency + ${extra} });\n`);
  }
  const reposJs = (concurrency: number) => `export const concurrency = ${concurrency};\n`;
  const IMPORTS =
    `import { defineConfig } from 'ravi-orchestrator';\nimport type { RawConfig } from 'ravi-orchestrator';\nimport { join } from 'node:path';\n` +
    `import { concurrency } from './repos.js';\nconst extra: RawConfig = { stateDir: join('.', 'state') };\nexport default defineConfig({ ...extra, concurrency });\n`;

  it.each([
    ['defineConfig, a builtin and a relative file', IMPORTS, 13],
    ['import.meta and a dynamic import', `const { concurrency } = await import(new URL('./repos.js', import.meta.url).href);\nexport default { concurrency: import.meta.url.endsWith('/ravi-orchestrator.config.ts') ? concurrency : 0 };\n`, 3],
    ['an enum and a type-only import without `type`', `import { RawConfig } from 'ravi-orchestrator';\nenum Size { Small = 3 }\nconst c: RawConfig = { concurrency: Size.Small };\nexport default c;\n`, 3],
  ])('%s: loads twice, the first time too, without a file event in its folder', async (_, content, expected) => {
    await installPackage(root, 10);
    await writeFile(path.join(proj, 'repos.js'), reposJs(3));
    await writeFile(configFile, content);
    const listing = await readdir(proj);
    let values: unknown[] = [];
    const events = await eventsDuring(proj, async () => {
      values = [await load(), await load()];
    });
    expect(values).toEqual([expected, expected]);
    expect(events).toEqual([]);
    expect(await readdir(proj)).toEqual(listing);
  });

  it('the control: a file written next to the config during a load is seen by the watcher', async () => {
    await writeFile(configFile, `import { writeFileSync } from 'node:fs';\nwriteFileSync(new URL('./touched', import.meta.url), '');\nexport default { concurrency: 2 };\n`);
    const events = await eventsDuring(proj, async () => expect(await load()).toBe(2));
    expect(events.some((event) => event.endsWith(' touched'))).toBe(true);
  });

  it('sees an edit, a move to another folder, and ravi-orchestrator installed elsewhere', async () => {
    await installPackage(root, 10);
    await writeFile(path.join(proj, 'repos.js'), reposJs(3));
    await writeFile(configFile, IMPORTS);
    expect(await load()).toBe(13);
    await writeFile(configFile, IMPORTS.replace('concurrency });', 'concurrency: concurrency * 2 });'));
    expect(await load()).toBe(16);
    // The same content in another folder: its ./repos.js is the one next to it now.
    await writeFile(configFile, IMPORTS);
    const moved = path.join(root, 'moved');
    await mkdir(moved);
    await writeFile(path.join(moved, 'repos.js'), reposJs(7));
    await rename(configFile, path.join(moved, 'ravi-orchestrator.config.ts'));
    expect(await load(moved)).toBe(17);
    // A nearer install wins, as Node would have it.
    await installPackage(moved, 20);
    expect(await load(moved)).toBe(27);
    // Its ./repos.js gone: the error names it, and nothing is left behind.
    await rm(path.join(moved, 'repos.js'));
    const error: unknown = await loadConfig({ cwd: moved, defaultRepo: moved }).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain('repos.js');
    expect(await readdir(moved)).toEqual(['node_modules', 'ravi-orchestrator.config.ts']);
  });

  it('leaves nothing next to the config on misses, hits and errors', async () => {
    for (const content of [source(1), source(1), BROKEN, BROKEN, `throw new Error('boom');\n`, source(2)]) {
      await writeFile(configFile, content);
      await loadConfig({ cwd: proj, defaultRepo: proj }).catch(() => null);
    }
    expect(await readdir(proj)).toEqual(['ravi-orchestrator.config.ts']);
  });
});

describe('findSyntaxError', () => {
  it.each([
    ['config.ts', BROKEN, `syntax error at line 3, column 3: Unexpected token, expected ","`],
    ['config.mjs', `export default {\n  concurrency: 2,,\n  token: 'sk-live-0123456789abcdef',\n};\n`, 'syntax error at line 2, column 18: Unexpected token'],
    ['config.mjs', `const a: number = 1;\nexport default { a };\n`, 'syntax error at line 1, column 8: Missing initializer in const declaration.'], // types are not JavaScript
    ['config.ts', `enum E { A }\nexport default { concurrency: E.A as number };\n`, null],
    ['config.mjs', `export default await Promise.resolve({ url: import.meta.url });\n`, null],
  ])('%s %#', (name, content, expected) => {
    expect(findSyntaxError(path.join('/p', name), content)).toBe(expected);
  });
});

describe('userCacheDir', () => {
  it.each([
    ['linux', {}, '/home/u/.cache/ravi-orchestrator/jiti'],
    ['linux', { XDG_CACHE_HOME: '/x/cache' }, '/x/cache/ravi-orchestrator/jiti'],
    ['linux', { XDG_CACHE_HOME: 'relative' }, '/home/u/.cache/ravi-orchestrator/jiti'],
    ['darwin', { XDG_CACHE_HOME: '/x/cache' }, '/home/u/Library/Caches/ravi-orchestrator/jiti'],
    ['win32', { LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' }, 'C:\\Users\\u\\AppData\\Local\\ravi-orchestrator\\Cache\\jiti'],
    ['linux', { RAVI_ORCHESTRATOR_CACHE_DIR: '~/c' }, '/home/u/c/jiti'],
  ] as const)('%s %j', (platform, env, expected) => {
    expect(userCacheDir('jiti', env, platform, '/home/u')).toBe(expected);
  });
});
