/**
 * The compile cache for the program's own modules (bin/compile-cache.cjs), run in real child processes: hits on a
 * second run, never stale code from a changed file of the same length, import() left working, other modules left to
 * Node with all Node gave (a TypeScript file too), and no cache in a folder others could write. The bin uses it on
 * every Node, beside Node 22+'s own cache (which then serves the modules outside the program).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { chmod, mkdir, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanupTempDirs, createRepo, createTempDir } from '../support/git-fixtures.js';
import { isolatedEnv } from '../support/cli.js';

afterAll(cleanupTempDirs);

const SHIM = fileURLToPath(new URL('../../bin/compile-cache.cjs', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/ravi-orchestrator.cjs', import.meta.url));
const NODE_HAS_CACHE = typeof (createRequire(import.meta.url)('node:module') as { enableCompileCache?: unknown }).enableCompileCache === 'function';

/** A program folder: main.js requires value.js and import()s an ES module through loader.js. */
async function program(value: string) {
  const root = await createTempDir('ravi-compile-cache-');
  const dir = join(root, 'program');
  await mkdir(dir);
  await writeFile(join(dir, 'main.js'), `'use strict';\nexports.value = require('./value.js').value;\nexports.load = (url) => require('./loader.js').load(url);\n`);
  await writeFile(join(dir, 'value.js'), `'use strict';\nexports.value = ${JSON.stringify(value)};\n`);
  await writeFile(join(dir, 'loader.js'), `'use strict';\nexports.load = (url) => import(url);\n`);
  await writeFile(join(root, 'esm.mjs'), 'export default 42;\n');
  return { root, dir, cache: join(root, 'cache') };
}

/** Runs a child that installs the cache, loads the program, and prints what it got and the cache's counts. */
async function run(p: { root: string; dir: string; cache: string }, variant?: string) {
  const script = `
    const counts = require(${JSON.stringify(SHIM)}).installCompileCache(${JSON.stringify(p.dir)}, ${JSON.stringify(p.cache)}${variant === undefined ? '' : `, ${JSON.stringify(variant)}`});
    const main = require(${JSON.stringify(join(p.dir, 'main.js'))});
    main.load(require('node:url').pathToFileURL(${JSON.stringify(join(p.root, 'esm.mjs'))}).href).then((esm) => {
      console.log(JSON.stringify({ value: main.value, esm: esm.default, counts }));
    });`;
  const { stdout } = await execa(process.execPath, ['-e', script]);
  return JSON.parse(stdout) as { value: string; esm: number; counts: { hits: number; compiled: number } | null };
}

describe('the compile cache of the program (bin/compile-cache.cjs)', () => {
  it('compiles once and serves the next run from the cache; a file that calls import() is left to Node', async () => {
    const p = await program('one');
    expect(await run(p)).toEqual({ value: 'one', esm: 42, counts: { hits: 0, compiled: 2 } }); // main.js, value.js
    expect(await run(p)).toEqual({ value: 'one', esm: 42, counts: { hits: 2, compiled: 0 } });
    const [folder] = await readdir(p.cache);
    expect(folder).toMatch(new RegExp(`^ravi-orchestrator-${process.getuid?.()}-${process.version.replace(/\./g, '\\.')}-${process.arch}-[0-9a-f]{8}$`));
    expect((await stat(join(p.cache, folder as string))).mode & 0o777).toBe(0o700);
    expect((await readdir(join(p.cache, folder as string))).sort().map((name) => name.split('@')[0])).toEqual(['main.js', 'value.js']);
  });

  it('never runs the code of a file as it was: same length, new content, a new entry (and the old one goes)', async () => {
    const p = await program('one');
    await run(p);
    await run(p);
    const file = join(p.dir, 'value.js');
    const before = await stat(file);
    await writeFile(file, `'use strict';\nexports.value = "two";\n`);
    expect((await stat(file)).size).toBe(before.size);
    await utimes(file, before.atime, before.mtime); // even with its old mtime: the inode and ns mtime differ, or the size
    const after = await run(p);
    expect(after.value).toBe('two');
    expect(after.counts).toEqual({ hits: 1, compiled: 1 });
    const [folder] = await readdir(p.cache);
    expect((await readdir(join(p.cache, folder as string))).filter((name) => name.startsWith('value.js@'))).toHaveLength(1);
  });

  it('keeps an entry per command: each command\'s own runs hit, and a new version of a file replaces the entries of every command', async () => {
    const p = await program('one');
    expect((await run(p, 'whoami')).counts).toEqual({ hits: 0, compiled: 2 });
    expect((await run(p, 'otp')).counts).toEqual({ hits: 0, compiled: 2 }); // not whoami's entries: its own
    expect((await run(p, 'whoami')).counts).toEqual({ hits: 2, compiled: 0 });
    expect((await run(p, 'otp')).counts).toEqual({ hits: 2, compiled: 0 });
    const [folder] = await readdir(p.cache);
    const entries = async () => (await readdir(join(p.cache, folder as string))).sort();
    expect((await entries()).map((name) => `${name.split('@')[0]}${name.slice(name.indexOf('~'))}`)).toEqual(['main.js~otp', 'main.js~whoami', 'value.js~otp', 'value.js~whoami']);
    await writeFile(join(p.dir, 'value.js'), `'use strict';\nexports.value = ${JSON.stringify('two')};\n`);
    expect(await run(p, 'whoami')).toMatchObject({ value: 'two', counts: { hits: 1, compiled: 1 } });
    // value.js's old version is gone for both commands; main.js's entries stay.
    expect((await entries()).map((name) => `${name.split('@')[0]}${name.slice(name.indexOf('~'))}`)).toEqual(['main.js~otp', 'main.js~whoami', 'value.js~whoami']);
    expect(await run(p, 'otp')).toMatchObject({ value: 'two', counts: { hits: 1, compiled: 1 } });
  });

  it('gives each install a folder of its own: two copies of the program in one cache keep their entries', async () => {
    const first = await program('one');
    const second = { ...(await program('one')), cache: first.cache }; // the same files, another path
    await run(first);
    expect((await run(second)).counts).toEqual({ hits: 0, compiled: 2 });
    expect((await run(first)).counts).toEqual({ hits: 2, compiled: 0 });
    expect((await run(second)).counts).toEqual({ hits: 2, compiled: 0 });
    expect(await readdir(first.cache)).toHaveLength(2);
  });

  it('keeps no cache in a folder that group or others may write', async () => {
    const p = await program('one');
    await run(p);
    const [folder] = await readdir(p.cache);
    await chmod(join(p.cache, folder as string), 0o777);
    expect(await run(p)).toEqual({ value: 'one', esm: 42, counts: null });
    await chmod(join(p.cache, folder as string), 0o700);
    await chmod(p.cache, 0o777); // a base others may write, not sticky: they could swap our folder
    expect((await run(p)).counts).toBeNull();
  });

  // Node 22.18+ strips types: Node hands _compile the format 'commonjs-typescript', which must reach Node's own.
  it.runIf((process.features as { typescript?: unknown }).typescript)('leaves a module outside the program to Node with its format: a .cts file loads with its types stripped', async () => {
    const p = await program('one');
    await writeFile(join(p.root, 'typed.cts'), `const answer: number = 42;\nmodule.exports = { answer };\n`);
    const script = `
      require(${JSON.stringify(SHIM)}).installCompileCache(${JSON.stringify(p.dir)}, ${JSON.stringify(p.cache)});
      console.log(JSON.stringify({ typed: require(${JSON.stringify(join(p.root, 'typed.cts'))}).answer, value: require(${JSON.stringify(join(p.dir, 'main.js'))}).value }));`;
    const { stdout } = await execa(process.execPath, ['--no-warnings', '-e', script]);
    expect(JSON.parse(stdout)).toEqual({ typed: 42, value: 'one' });
  });

  it('the bin uses it on every Node (beside Node 22+\'s own cache), not with NODE_DISABLE_COMPILE_CACHE, and a JS config still loads through import()', async () => {
    const repo = await createRepo();
    await writeFile(join(repo.path, 'ravi-orchestrator.config.mjs'), 'export default { env: { vars: { AGENT_BRANCH: "{branch}" } } };\n');
    const home = await createTempDir('ravi-compile-cache-home-');
    const cache = join(home, 'compile-cache');
    const env = isolatedEnv(home, { NODE_COMPILE_CACHE: cache });
    for (let i = 0; i < 2; i++) {
      const result = await execa(process.execPath, [BIN, 'plan', '--json'], { cwd: repo.path, env, extendEnv: false, reject: false });
      expect(result.exitCode, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toHaveProperty('actions');
    }
    const ours = (await readdir(cache)).filter((name) => name.startsWith('ravi-orchestrator-'));
    // Node's own switch turns ours off too.
    const off = join(home, 'compile-cache-off');
    const disabled = await execa(process.execPath, [BIN, 'plan', '--json'], { cwd: repo.path, env: { ...env, NODE_COMPILE_CACHE: off, NODE_DISABLE_COMPILE_CACHE: '1' }, extendEnv: false, reject: false });
    expect(disabled.exitCode, disabled.stderr).toBe(0);
    await expect(readdir(off)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(ours).toHaveLength(1);
    const entries = await readdir(join(cache, ours[0] as string));
    expect(entries.some((name) => name.startsWith('cli%main.js@'))).toBe(true);
    expect(entries.some((name) => name.startsWith('config%import-file.js@'))).toBe(false); // it calls import()
    // Node 22+'s own cache is on too, in its folder beside ours (named by Node's version).
    const nodes = (await readdir(cache)).filter((name) => name.startsWith(`${process.version}-`));
    expect(nodes).toHaveLength(NODE_HAS_CACHE ? 1 : 0);
  });
});
