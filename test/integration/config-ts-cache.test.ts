/**
 * The per-user cache of transpiled .ts configs, against real folders: a hit is what runs (not the source
 * transpiled again), an edit is never served stale, a cached syntax error keeps its line and column, and a
 * corrupt entry, a folder others can write, a foreign or linked entry are all ignored. A portable config
 * (builtin, relative and `ravi-orchestrator` imports only) writes nothing next to itself, which is watched
 * with fs.watch, and resolves its imports from wherever it is now. That a hit never imports `typescript` is
 * checked on the built CLI in test/e2e/config-ts-cache.test.ts.
 */
import { eventsDuring } from '../support/fs-events.js';
import { copyFile, chmod, chown, mkdir, mkdtemp, readdir, readFile, realpath, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { cacheKey, readCached, transpileCacheDir, writeCached } from '../../src/config/transpile-cache.js';
import { transpileChecked, typescriptVersion } from '../../src/config/ts-transpile.js';
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
  cacheDir = transpileCacheDir();
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await rm(root, { recursive: true, force: true });
});

const source = (concurrency: number) =>
  `import type { RawConfig } from 'ravi-orchestrator';\nconst config: RawConfig = { concurrency: ${concurrency} as number };\nexport default config;\n`;
const BROKEN = `export default {\n  concurrency: 2\n  repos: [\n  token: 'sk-live-0123456789abcdef',\n};\n`;
const keyOf = (content: string) => cacheKey(content, '.ts', typescriptVersion());
const entryFile = (content: string) => path.join(cacheDir, `${keyOf(content)}.json`);
const entries = async () => (await readdir(cacheDir)).filter((name) => name.endsWith('.json'));
const load = async () => (await loadConfig({ cwd: proj, defaultRepo: proj })).concurrency;
const loadError = async () => {
  const error: unknown = await loadConfig({ cwd: proj, defaultRepo: proj }).then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
};

/** Puts a well-formed entry for `content` that says something else: whatever reads it returns 42. */
async function plant(content: string): Promise<void> {
  await writeCached(cacheDir, keyOf(content), { ok: true, js: 'export default { concurrency: 42 };\n' });
  expect(await readCached(cacheDir, keyOf(content))).toMatchObject({ ok: true });
}

describe('the .ts config transpile cache', () => {
  it('keeps one owner-only entry per version of the config, and runs it instead of transpiling again', async () => {
    await writeFile(configFile, source(2));
    expect(await load()).toBe(2);
    expect(await entries()).toEqual([path.basename(entryFile(source(2)))]);
    const written = await stat(entryFile(source(2)));
    if (POSIX) {
      expect((await stat(cacheDir)).mode & 0o777).toBe(0o700);
      expect(written.mode & 0o777).toBe(0o600);
    }
    expect(await load()).toBe(2);
    expect((await stat(entryFile(source(2)))).ino).toBe(written.ino); // read, not written again
    // The control for the tests below: a trusted entry is what runs, the source is not transpiled again.
    await plant(source(2));
    expect(await load()).toBe(42);
  });

  it('an edit is never served stale, and going back reuses the older entry', async () => {
    await writeFile(configFile, source(1));
    expect(await load()).toBe(1);
    await writeFile(configFile, source(2));
    expect(await load()).toBe(2);
    const first = await stat(entryFile(source(1)));
    await writeFile(configFile, source(1));
    expect(await load()).toBe(1);
    expect((await stat(entryFile(source(1)))).ino).toBe(first.ino);
    expect(await entries()).toHaveLength(2);
  });

  it('a cached syntax error is still reported with line and column, and without the secret', async () => {
    await writeFile(configFile, BROKEN);
    const first = await loadError();
    const entry = await stat(entryFile(BROKEN));
    const second = await loadError();
    expect((await stat(entryFile(BROKEN))).ino).toBe(entry.ino); // the verdict came from the cache
    for (const error of [first, second]) {
      expect(error.message).toBe(`Cannot load config file ${configFile}: syntax error at line 3, column 3: ',' expected.`);
      expect(error.cause).toBeInstanceOf(SyntaxError);
    }
    await writeFile(configFile, source(2)); // fixed: loads
    expect(await load()).toBe(2);
  });

  it('resolves relative and bare imports the same on a hit as on a miss', async () => {
    await writeFile(path.join(proj, 'base.mjs'), 'export default { concurrency: 5 };\n');
    await mkdir(path.join(proj, 'node_modules', 'ravi-orchestrator'), { recursive: true });
    await writeFile(path.join(proj, 'node_modules', 'ravi-orchestrator', 'package.json'), JSON.stringify({ name: 'ravi-orchestrator', type: 'module', exports: './index.js' }));
    await writeFile(path.join(proj, 'node_modules', 'ravi-orchestrator', 'index.js'), 'export const defineConfig = (c) => c;\n');
    await writeFile(configFile, `import { defineConfig } from 'ravi-orchestrator';\nimport base from './base.mjs';\nexport default defineConfig({ ...base });\n`);
    expect(await load()).toBe(5);
    expect(await load()).toBe(5);
    expect(await entries()).toHaveLength(1);
  });

  const corruptions: [string, (text: string) => string][] = [
    ['not JSON', () => 'garbage'],
    ['cut short', (text) => text.slice(0, text.length / 2)],
    ['JavaScript changed, digest not', (text) => JSON.stringify({ ...JSON.parse(text), js: 'export default { concurrency: 42 };\n' })],
    ['another entry format', (text) => JSON.stringify({ ...JSON.parse(text), format: 0 })],
    ['empty', () => ''],
  ];
  it.each(corruptions)('an entry that is %s is ignored and replaced', async (_, corrupt) => {
    await writeFile(configFile, source(3));
    expect(await load()).toBe(3);
    await writeFile(entryFile(source(3)), corrupt(await readFile(entryFile(source(3)), 'utf8')));
    expect(await load()).toBe(3);
    expect(await readCached(cacheDir, keyOf(source(3)))).toMatchObject({ ok: true, js: expect.stringContaining('concurrency: 3') });
  });

  it("an entry copied under another config's name is ignored", async () => {
    await writeFile(configFile, source(42));
    expect(await load()).toBe(42);
    await writeFile(configFile, source(3));
    await mkdir(cacheDir, { recursive: true });
    await copyFile(entryFile(source(42)), entryFile(source(3)));
    expect(await load()).toBe(3);
  });

  it.skipIf(!POSIX)('a folder that group or others can write is neither read nor written', async () => {
    await writeFile(configFile, source(3));
    await plant(source(3));
    await chmod(cacheDir, 0o777);
    expect(await load()).toBe(3);
    await chmod(cacheDir, 0o770);
    expect(await load()).toBe(3);
    await rm(entryFile(source(3)));
    expect(await load()).toBe(3);
    expect(await entries()).toEqual([]);
    await chmod(cacheDir, 0o700);
    expect(await load()).toBe(3);
    expect(await entries()).toHaveLength(1);
  });

  it.skipIf(!POSIX)('an entry that others can write, or a symlink to one, is ignored', async () => {
    await writeFile(configFile, source(3));
    await plant(source(3));
    await chmod(entryFile(source(3)), 0o622);
    expect(await load()).toBe(3);
    // A well-formed entry for this very source, owned by us, but elsewhere: only the link is wrong.
    const elsewhere = path.join(root, 'elsewhere');
    await writeCached(elsewhere, keyOf(source(3)), { ok: true, js: 'export default { concurrency: 42 };\n' });
    await rm(entryFile(source(3)));
    await symlink(path.join(elsewhere, `${keyOf(source(3))}.json`), entryFile(source(3)));
    expect(await load()).toBe(3);
  });

  it.skipIf(!ROOT)('a folder or an entry owned by another user is ignored (needs root to chown)', async () => {
    await writeFile(configFile, source(3));
    await plant(source(3));
    await chown(cacheDir, 4242, 4242);
    expect(await load()).toBe(3);
    await chown(cacheDir, 0, 0);
    await chown(entryFile(source(3)), 4242, 4242);
    expect(await load()).toBe(3);
  });

  it('a cache that cannot be created costs a transpile, not the load', async () => {
    await writeFile(path.join(root, 'not-a-folder'), '');
    vi.stubEnv('RAVI_ORCHESTRATOR_CACHE_DIR', path.join(root, 'not-a-folder'));
    await writeFile(configFile, source(6));
    expect(await load()).toBe(6);
    expect(await load()).toBe(6);
  });

  it('leaves nothing next to the config, on misses, hits and errors', async () => {
    for (const content of [source(1), source(1), BROKEN, BROKEN, `throw new Error('boom');\n`, source(2)]) {
      await writeFile(configFile, content);
      await loadConfig({ cwd: proj, defaultRepo: proj }).catch(() => null);
    }
    expect(await readdir(proj)).toEqual(['ravi-orchestrator.config.ts']);
    expect((await readdir(cacheDir)).every((name) => name.endsWith('.json'))).toBe(true);
  });
});

describe('transpileCacheDir', () => {
  it.each([
    ['linux', {}, '/home/u/.cache/ravi-orchestrator/ts-config'],
    ['linux', { XDG_CACHE_HOME: '/x/cache' }, '/x/cache/ravi-orchestrator/ts-config'],
    ['linux', { XDG_CACHE_HOME: 'relative' }, '/home/u/.cache/ravi-orchestrator/ts-config'],
    ['darwin', { XDG_CACHE_HOME: '/x/cache' }, '/home/u/Library/Caches/ravi-orchestrator/ts-config'],
    ['win32', { LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' }, 'C:\\Users\\u\\AppData\\Local\\ravi-orchestrator\\Cache\\ts-config'],
    ['linux', { RAVI_ORCHESTRATOR_CACHE_DIR: '~/c' }, '/home/u/c/ts-config'],
  ] as const)('%s %j', (platform, env, expected) => {
    expect(transpileCacheDir(env, platform, '/home/u')).toBe(expected);
  });
});

describe('a portable .ts config', () => {
  /** A stand-in for the installed package, in `dir`/node_modules; its defineConfig adds `extra` to concurrency. */
  async function installPackage(dir: string, extra: number): Promise<void> {
    const pkg = path.join(dir, 'node_modules', 'ravi-orchestrator');
    await mkdir(path.join(pkg, 'dist'), { recursive: true });
    await writeFile(path.join(pkg, 'package.json'), JSON.stringify({ name: 'ravi-orchestrator', type: 'module', exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } } }));
    await writeFile(path.join(pkg, 'dist', 'index.js'), `export const defineConfig = (c) => ({ ...c, concurrency: c.concurrency + ${extra} });\n`);
  }
  const reposJs = (concurrency: number) => `export const concurrency = ${concurrency};\n`;
  const PORTABLE =
    `import { defineConfig } from 'ravi-orchestrator';\nimport type { RawConfig } from 'ravi-orchestrator';\nimport { join } from 'node:path';\n` +
    `import { concurrency } from './repos.js';\nconst extra: RawConfig = { stateDir: join('.', 'state') };\nexport default defineConfig({ ...extra, concurrency });\n`;

  it('loads twice without writing next to the config, the first time too', async () => {
    await installPackage(root, 10);
    await writeFile(path.join(proj, 'repos.js'), reposJs(3));
    await writeFile(configFile, PORTABLE);
    const listing = await readdir(proj);
    let values: unknown[] = [];
    const events = await eventsDuring(proj, async () => {
      values = [await load(), await load()];
    });
    expect(values).toEqual([13, 13]);
    expect(events).toEqual([]);
    expect(await readdir(proj)).toEqual(listing);
    expect(await readCached(cacheDir, keyOf(PORTABLE))).toMatchObject({ ok: true, imports: [{ specifier: 'ravi-orchestrator' }, { specifier: './repos.js' }] });
  });

  it('the control: a config that is not portable still writes its temp file, which the watcher sees', async () => {
    await writeFile(path.join(proj, 'repos.js'), reposJs(4));
    const dynamic = `const { concurrency } = await import('./repos.js');\nexport default { concurrency };\n`;
    const meta = `import { concurrency } from './repos.js';\nexport default { concurrency: import.meta.url.endsWith('.mjs') ? concurrency : 0 };\n`;
    for (const content of [dynamic, meta]) {
      await writeFile(configFile, content);
      let values: unknown[] = [];
      const events = await eventsDuring(proj, async () => {
        values = [await load(), await load()];
      });
      expect(values).toEqual([4, 4]);
      expect(events.some((event) => event.includes('ravi-orchestrator.config.ts.'))).toBe(true);
      expect(await readCached(cacheDir, keyOf(content))).not.toHaveProperty('imports');
    }
    expect(await readdir(proj)).toEqual(['ravi-orchestrator.config.ts', 'repos.js']);
  });

  it('sees an edit, a move to another folder, and ravi-orchestrator installed elsewhere', async () => {
    await installPackage(root, 10);
    await writeFile(path.join(proj, 'repos.js'), reposJs(3));
    await writeFile(configFile, PORTABLE);
    expect(await load()).toBe(13);
    await writeFile(configFile, PORTABLE.replace('concurrency });', 'concurrency: concurrency * 2 });'));
    expect(await load()).toBe(16);
    // The same content in another folder: a cache hit, whose ./repos.js is the one next to it now.
    await writeFile(configFile, PORTABLE);
    const moved = path.join(root, 'moved');
    await mkdir(moved);
    await writeFile(path.join(moved, 'repos.js'), reposJs(7));
    await rename(configFile, path.join(moved, 'ravi-orchestrator.config.ts'));
    const before = await entries();
    expect((await loadConfig({ cwd: moved, defaultRepo: moved })).concurrency).toBe(17);
    expect(await entries()).toEqual(before);
    expect(await readdir(moved)).toEqual(['ravi-orchestrator.config.ts', 'repos.js']);
    // A nearer install wins, as Node would have it.
    await installPackage(moved, 20);
    expect((await loadConfig({ cwd: moved, defaultRepo: moved })).concurrency).toBe(27);
    // Its ./repos.js gone: Node's own error, from the temp file, which is removed again.
    await rm(path.join(moved, 'repos.js'));
    const error: unknown = await loadConfig({ cwd: moved, defaultRepo: moved }).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(((error as ConfigError).cause as { code?: string }).code).toBe('ERR_MODULE_NOT_FOUND');
    expect(await readdir(moved)).toEqual(['node_modules', 'ravi-orchestrator.config.ts']);
  });

  it.each([
    ['builtins, relative files and ravi-orchestrator', `import fs from 'fs';\nimport { join } from 'node:path';\nimport a from './a.js';\nexport * from '../b.js';\nimport './c.js';\nimport { defineConfig } from 'ravi-orchestrator';\nexport default defineConfig({ a, fs, join });\n`, ['./a.js', '../b.js', './c.js', 'ravi-orchestrator']],
    ['type-only imports, which are elided', `import type { RawConfig } from 'some-types';\nimport { type X } from 'other';\nconst c: RawConfig = {};\nexport default c;\n`, []],
    ['another package', `import x from 'lodash';\nexport default x;\n`, null],
    ['a subpath of ravi-orchestrator', `import x from 'ravi-orchestrator/config';\nexport default x;\n`, null],
    ['an absolute path', `import x from '/etc/x.js';\nexport default x;\n`, null],
    ['a query', `import x from './x.js?v=1';\nexport default x;\n`, null],
    ['a dynamic import', `export default await import('node:os');\n`, null],
    ['import.meta', `export default { url: import.meta.url };\n`, null],
    ['require', `import { createRequire } from 'node:module';\nexport default createRequire('/x/')('y');\n`, null],
    ['eval', `export default eval('1');\n`, null],
  ])('portability: %s', async (_, content, expected) => {
    const result = await transpileChecked(configFile, content);
    expect(result.ok).toBe(true);
    const imports = result.ok ? result.imports : undefined;
    expect(imports?.map((site) => site.specifier) ?? null).toEqual(expected);
    if (result.ok) for (const site of imports ?? []) expect(result.js.slice(site.start + 1, site.end - 1)).toBe(site.specifier);
  });
});
