/**
 * What each command loads at start-up, seen by a module loader hook in the real process (not timed: the
 * figures live in the commit messages and `npm run bench`). `version` and `help` must not load the engine.
 * Which of our modules a command imports is read from tsc's output (dist/, one file per module); what the
 * program users run (dist-cli/, scripts/build-cli.mjs) loads is checked file by file at the end.
 */
import { execa } from 'execa';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH, isolatedEnv, runBuiltCli } from '../support/cli.js';
import { cleanupTempDirs, createRepo, createTempDir } from '../support/git-fixtures.js';
import { startFakeRaviServer } from '../support/fake-ravi-server.js';
import { writeRaviTeamConfig } from '../support/ravi-team-config.js';
import { schemaStampOf } from '../../scripts/schema-stamp.mjs';
import { createInboxStore } from '../../src/mail/inbox-store.js';

afterAll(cleanupTempDirs);

let dir: string;
let worktree: string;
let home: string;

beforeAll(async () => {
  dir = await createTempDir('ravi-startup-');
  home = await createTempDir('ravi-startup-home-');
  const repo = await createRepo({ name: 'startup' });
  worktree = await repo.addWorktree('feat/boot');
  expect((await runBuiltCli(['reconcile'], { cwd: repo.path, home })).exitCode).toBe(0);
  // A loader hook that writes every module URL the process loads to $MODULE_LOG (node:module register/load).
  await writeFile(join(dir, 'hook.mjs'), "import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) {\n  appendFileSync(process.env.MODULE_LOG, `${url}\\n`);\n  return next(url, context);\n}\n");
  // What a process leaves at exit, without the loader hook (whose own thread would count): Node's built-in modules,
  // and its threads (Linux): libuv starts its thread pool (four threads) with the first call that needs it.
  await writeFile(join(dir, 'exit-facts.cjs'), "process.on('exit', () => { const fs = require('node:fs'); fs.writeFileSync(process.env.FACTS_LOG, JSON.stringify({ builtins: process.moduleLoadList, threads: fs.existsSync('/proc/self/task') ? fs.readdirSync('/proc/self/task').length : null })); });\n");
  await writeFile(join(dir, 'register.mjs'), "import { register } from 'node:module';\nregister('./hook.mjs', import.meta.url);\n");
  // The hook does not see CommonJS modules that require() loads (pino, cosmiconfig): they are in require.cache at exit.
  await writeFile(join(dir, 'cjs-log.cjs'), "const { appendFileSync } = require('node:fs');\nconst { pathToFileURL } = require('node:url');\nprocess.on('exit', () => appendFileSync(process.env.MODULE_LOG, Object.keys(require.cache).map((p) => `${pathToFileURL(p).href}\\n`).join('')));\n" +
    // Node's scanner of CommonJS exports loads when ESM code imports a CommonJS module (process.moduleLoadList).
    "process.on('exit', () => { if (process.moduleLoadList.some((m) => m.includes('cjs-module-lexer'))) appendFileSync(process.env.MODULE_LOG, 'file:internal/cjs-module-lexer\\n'); });\n" +
    // Node's own modules that cost the most to start: node:crypto (it starts OpenSSL), perf_hooks, child_process, assert.
    "process.on('exit', () => { for (const name of ['crypto', 'perf_hooks', 'child_process', 'assert']) if (process.moduleLoadList.includes(`NativeModule ${name}`)) appendFileSync(process.env.MODULE_LOG, `file:internal/${name}\\n`); });\n" +
    // graceful-fs marks the fs module it patched (fs.close, fs.closeSync) with this symbol.
    "process.on('exit', () => { if (require('node:fs')[Symbol.for('graceful-fs.queue')] !== undefined) appendFileSync(process.env.MODULE_LOG, 'file:internal/graceful-fs-patched-fs\\n'); });\n");
});

/** tsc's output, one file per module: what a command's code imports, module by module. */
const MODULES_CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

async function modulesLoadedBy(args: string[], cwd: string, exitCode?: number, cli = MODULES_CLI): Promise<string[]> {
  const log = join(dir, `modules-${args.join('-').replace(/[^\w.-]/g, '_')}.log`);
  await writeFile(log, '');
  const run = await execa(process.execPath, ['--require', join(dir, 'cjs-log.cjs'), '--import', pathToFileURL(join(dir, 'register.mjs')).href, cli, ...args], {
    cwd, env: isolatedEnv(home, { MODULE_LOG: log }), extendEnv: false, reject: false,
  });
  expect(run.stderr).not.toMatch(/Error/);
  if (exitCode !== undefined) expect(run.exitCode, run.stderr).toBe(exitCode);
  const ownHooks = pathToFileURL(dir).href;
  return (await readFile(log, 'utf8')).split('\n').filter((url) => url.startsWith('file:') && !url.startsWith(ownHooks));
}

interface ExitFacts {
  readonly builtins: readonly string[];
  /** Null off Linux. */
  readonly threads: number | null;
}

/** Node's built-in modules and threads at the exit of `node <args>`, run where `cwd` and `env` say. */
async function exitFacts(args: readonly string[], cwd: string, env: Record<string, string> = isolatedEnv(home)): Promise<ExitFacts & { stdout: string; exitCode: number }> {
  const log = join(dir, `facts-${args.join('-').replace(/[^\w.-]/g, '_').slice(-80)}.json`);
  const run = await execa(process.execPath, ['--require', join(dir, 'exit-facts.cjs'), ...args], { cwd, env: { ...env, FACTS_LOG: log }, extendEnv: false, reject: false });
  return { ...(JSON.parse(await readFile(log, 'utf8')) as ExitFacts), stdout: run.stdout, exitCode: run.exitCode ?? -1 };
}

let bareNodeRun: Promise<ExitFacts> | undefined;
/** `node -e 0`'s exit facts, the baseline for every comparison here: taken once. */
const bareNode = (): Promise<ExitFacts> => (bareNodeRun ??= exitFacts(['-e', '0'], dir));

const ENGINE = /node_modules\/(pino|zod|cosmiconfig|proper-lockfile|execa|chokidar)\/|dist\/(config\/load|providers|files\/ledger|reconcile|daemon|mail)\//;

describe('start-up', () => {
  it.each(['version', 'help', 'otp --help'])('`%s` loads no engine: no pino, zod, cosmiconfig, proper-lockfile, config loader or provider', async (line) => {
    const loaded = await modulesLoadedBy(line.split(' '), dir);
    expect(loaded.some((url) => url.endsWith('/dist/cli/main.js'))).toBe(true); // the hook saw the process load
    expect(loaded.filter((url) => ENGINE.test(url))).toEqual([]);
  });

  it('`version` loads only the entry and the version reader; `version --help` the parser and its own module', async () => {
    const ours = (await modulesLoadedBy(['version'], dir)).map((url) => url.replace(/^.*\/dist\//, ''));
    expect(ours.filter((path) => !path.startsWith('node:'))).toEqual(['cli/main.js', 'cli/package-version.js']);
    const help = (await modulesLoadedBy(['version', '--help'], dir)).map((url) => url.replace(/^.*\/dist\//, ''));
    expect(help.filter((path) => path.startsWith('cli/commands/'))).toEqual(['cli/commands/version.js']);
    expect(help.every((path) => path.startsWith('cli/') || path.startsWith('util/') || path.startsWith('node:'))).toBe(true);
  });

  it('the package bin answers `version` and `--version` without the CLI, and runs every other command line', async () => {
    const bin = fileURLToPath(new URL('../../bin/ravi-orchestrator.cjs', import.meta.url));
    const version = (JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
    for (const args of [['version'], ['--version']]) expect((await execa(process.execPath, [bin, ...args], { cwd: dir, reject: false })).stdout).toBe(version);
    const usage = await execa(process.execPath, [bin, 'version', '--json'], { cwd: dir, reject: false, env: isolatedEnv(home), extendEnv: false });
    expect(usage.exitCode).toBe(64);
    expect(usage.stderr).toMatch(/--json is not a flag of version/);
  });

  it('the bin writes `version` to its descriptor: on a pipe no stream module loads, and a reader gone first ends it quietly', async () => {
    const bin = fileURLToPath(new URL('../../bin/ravi-orchestrator.cjs', import.meta.url));
    const run = await exitFacts([bin, 'version'], dir);
    expect(run.stdout).toMatch(/^\d+\.\d+\.\d+/);
    const bare = new Set((await bareNode()).builtins);
    expect(run.builtins.filter((name) => !bare.has(name) && /^NativeModule (net|stream|internal\/streams\/)/.test(name))).toEqual([]);
    // `true` reads nothing and exits: the write meets a closed pipe (EPIPE) or a pipe nobody reads yet.
    const gone = await execa('bash', ['-c', '"$0" "$1" version 2>"$2" | true; echo "exit=${PIPESTATUS[0]}"', process.execPath, bin, join(dir, 'version-stderr.log')], { cwd: dir });
    expect(gone.stdout.trim()).toBe('exit=0');
    expect(await readFile(join(dir, 'version-stderr.log'), 'utf8')).toBe('');
  });

  it.each([['whoami'], ['otp'], ['env']])('`%s` loads neither pino nor zod (agent commands log nothing by default), nor p-queue for a short inbox, nor the CJS export scanner, nor node:crypto, nor the write path or valibot, and starts no thread pool', async (command) => {
    const loaded = await modulesLoadedBy([command], worktree);
    // As many threads at exit as bare Node has: nothing went through libuv's thread pool (promise fs calls do).
    expect((await exitFacts([CLI_PATH, command], worktree)).threads).toBe((await bareNode()).threads);
    expect(loaded.some((url) => url.includes('/dist/cli/commands/'))).toBe(true);
    expect(loaded.filter((url) => /node_modules\/(pino|execa|zod|p-queue|eventemitter3)\//.test(url))).toEqual([]);
    // No CommonJS package imported from ESM (`ms` is required): the CJS export scanner stays unloaded.
    expect(loaded).not.toContain('file:internal/cjs-module-lexer');
    // Hashes of names come from util/sha256.ts (no library), random ids require node:crypto on a write: an agent
    // command that only reads never starts OpenSSL (about 10 ms of CPU), nor perf_hooks.
    expect(loaded).not.toContain('file:internal/crypto');
    expect(loaded).not.toContain('file:internal/perf_hooks');
    // They only read: nothing of the write path (atomic writes, temp files, random ids, a create's addresses) and no
    // valibot (the identity file and the ledger hold what we wrote, read without the schemas; the inbox is empty).
    const ours = loaded.map((url) => url.replace(/^.*\/dist\//, ''));
    expect(ours.filter((path) => /^(files\/(atomic-write|temp-files|fd-calls|schema-issue)|util\/(random|same-path|closest)|providers\/local\/(addresses-in-use|phone-numbers|local-identity-schema)|cli\/package-version)\.js$/.test(path))).toEqual([]);
    expect(loaded.filter((url) => /node_modules\/(valibot|@noble)\//.test(url))).toEqual([]);
    // otp finds no message to read, so it loads no extractor (nor the HTML reader the extractor uses), and has no
    // use for what --mark-read handed out.
    expect(ours.filter((path) => /^agent\/(extract-code|extract-link|html-text|handed-messages)\.js$/.test(path))).toEqual([]);
  });

  it('a pass that takes the state lock loads no stream module of node:fs (proper-lockfile\'s fs inherits node:fs, it does not copy its lazy getters)', async () => {
    const run = await exitFacts([CLI_PATH, 'reconcile'], worktree);
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.builtins).not.toContain('NativeModule internal/fs/streams');
  });

  it('`inbox` reads a short inbox without the thread pool, and `otp` finds the newest code in it', async () => {
    const other = await createRepo({ name: 'startup-otp' });
    const inboxWorktree = await other.addWorktree('feat/otp');
    const otpHome = await createTempDir('ravi-startup-otp-home-');
    expect((await runBuiltCli(['reconcile'], { cwd: other.path, home: otpHome })).exitCode).toBe(0);
    const me = JSON.parse((await runBuiltCli(['whoami', '--json'], { cwd: inboxWorktree, home: otpHome })).stdout) as { uuid: string; phone: string };
    const store = createInboxStore(join(otpHome, 'state'));
    for (const code of ['111111', '222222', '333333']) await store.addSms(me.uuid, { from_number: '+15550000000', to_number: me.phone, body: `Your code is ${code}` });
    const listed = await exitFacts([CLI_PATH, 'inbox', 'sms', '--json'], inboxWorktree, isolatedEnv(otpHome));
    expect((JSON.parse(listed.stdout) as { body: string }[]).map((sms) => sms.body)).toEqual(['Your code is 333333', 'Your code is 222222', 'Your code is 111111']);
    expect(listed.threads).toBe((await bareNode()).threads);
    // (otp then writes its audit line, fsynced in the thread pool: a write, not the listing.)
    const otp = await runBuiltCli(['otp'], { cwd: inboxWorktree, home: otpHome });
    expect(otp.exitCode, otp.stderr).toBe(0);
    expect(otp.stdout.trim()).toBe('333333');
  });

  it('a no-op `reconcile` (and `--worktree PATH`) with a JSON config it validated before loads no config schema, zod, cosmiconfig or pino (its first validation no picomatch: it has no pattern); a log line loads pino', async () => {
    const repo = await createRepo({ name: 'startup-json' });
    await repo.addWorktree('feat/json');
    const setupScriptWorktree = await repo.addWorktree('feat/setup');
    await writeFile(join(repo.path, 'ravi-orchestrator.config.json'), `${JSON.stringify({ env: { vars: { APP_NAME: 'json-{branch}' } } })}\n`);
    const first = await modulesLoadedBy(['reconcile'], repo.path, 0); // validates (the schema) and remembers the config
    expect(first.some((url) => url.endsWith('/dist/config/schema.js'))).toBe(true);
    expect(first.filter((url) => /node_modules\/zod\//.test(url))).toEqual([]); // the config's schema is valibot's
    expect(first.filter((url) => /node_modules\/picomatch\//.test(url))).toEqual([]); // no pattern to check or match
    const noop = await modulesLoadedBy(['reconcile'], repo.path, 0);
    expect(noop.some((url) => url.endsWith('/dist/reconcile/engine.js'))).toBe(true);
    expect(noop.filter((url) => /node_modules\/(zod|cosmiconfig|pino|picomatch)\/|dist\/config\/(schema|normalize)\.js$/.test(url))).toEqual([]);
    // A setup script's `reconcile --worktree PATH` (a new path each time) is no new config to validate.
    const setupScript = await modulesLoadedBy(['reconcile', '--worktree', setupScriptWorktree], setupScriptWorktree, 0);
    expect(setupScript.filter((url) => /node_modules\/(zod|cosmiconfig|pino)\//.test(url))).toEqual([]);
    const logged = await modulesLoadedBy(['reconcile', '--log-level', 'debug'], repo.path, 0);
    expect(logged.some((url) => /node_modules\/pino\//.test(url))).toBe(true);
  });
  it('a setup script\'s `reconcile --worktree` (ravi provider) asks for the listings at start-up, and the pass uses them', async () => {
    const server = await startFakeRaviServer();
    try {
      const repo = await createRepo({ name: 'startup-ravi' });
      const worktreePath = await repo.addWorktree('feat/setup');
      const raviHome = await createTempDir('ravi-startup-ravi-home-');
      await writeRaviTeamConfig(server, repo.path, raviHome, { secrets: { OPENAI_API_KEY: 'sk-startup-test' } });
      // Whether the request leaves before or while the engine's modules load is a matter of timing (the bench
      // measures it); what the code promises is that the pass takes the listing asked for at start-up.
      const run = await execa(process.execPath, [CLI_PATH, 'reconcile', '--worktree', worktreePath, '--log-level', 'debug'], {
        cwd: worktreePath, env: isolatedEnv(raviHome), extendEnv: false, reject: false,
      });
      expect(run.exitCode, run.stderr).toBe(0);
      expect(run.stderr).toContain('the identity listing asked for at start-up serves the pass');
      // One listing of identities and one of the vault for the whole pass.
      expect(server.calls.filter((c) => c.method === 'GET').map((c) => c.path).sort()).toEqual(['/api/identities/', '/api/secrets/']);
      expect(await readFile(join(worktreePath, '.env'), 'utf8')).toContain("OPENAI_API_KEY='sk-startup-test'");
    } finally {
      await server.close();
    }
  });

  it('the program users run (dist-cli/) answers `whoami` and `otp` from one file of ours (and the bundler\'s runtime)', async () => {
    for (const command of ['whoami', 'otp']) {
      const loaded = await modulesLoadedBy([command], worktree, undefined, CLI_PATH);
      // A CommonJS module can show twice: seen by the loader hook (the entry) and listed in require.cache.
      const ours = [...new Set(loaded.filter((url) => url.includes('/dist-cli/')).map((url) => url.replace(/^.*\/dist-cli\//, '')))].sort();
      // The config cache needs no file of the schema's beside its own: the build wrote the schema's stamp into it.
      expect(ours).toEqual(['cli/main.js', 'rolldown-runtime.js']);
      expect(loaded.filter((url) => /node_modules\/(pino|execa|zod|p-queue|valibot)\//.test(url))).toEqual([]);
    }
  });

  it('every file of the program (dist-cli/) is ASCII: V8 keeps a source with one character beyond Latin-1 as two bytes a character', async () => {
    const root = fileURLToPath(new URL('../../dist-cli/', import.meta.url));
    const files = (await readdir(root, { recursive: true })).filter((name) => name.endsWith('.js'));
    expect(files).toContain('cli/main.js');
    for (const name of files) {
      const text = await readFile(join(root, name), 'latin1');
      expect({ name, beyondAscii: /[^\x00-\x7f]/.exec(text)?.[0] ?? null }).toEqual({ name, beyondAscii: null });
    }
  });

  it('the program\'s config cache is keyed by the stamp the build made of the schema\'s text, which a schema change changes', async () => {
    const modules = ['config/schema', 'config/names', 'config/duration'];
    const stamp = await schemaStampOf(fileURLToPath(new URL('../../dist', import.meta.url)), modules, fileURLToPath(new URL('../../package.json', import.meta.url)));
    expect(stamp).toMatch(/^built:[0-9a-f]{16}$/);
    expect(await readFile(CLI_PATH, 'utf8')).toContain(`const BUILT_SCHEMA_STAMP = ${JSON.stringify(stamp)};`);
    // A fresh HOME: the program validates the config and keeps the verdict under that stamp.
    const freshHome = await createTempDir('ravi-startup-stamp-home-');
    const repo = await createRepo({ name: 'startup-stamp' });
    await writeFile(join(repo.path, 'ravi-orchestrator.config.json'), '{ "concurrency": 3 }\n');
    expect((await runBuiltCli(['plan'], { cwd: repo.path, home: freshHome })).exitCode).toBe(0);
    const folder = join(freshHome, '.cache', 'ravi-orchestrator', 'valid-configs');
    const entries = await readdir(folder);
    expect(entries).toHaveLength(1);
    expect((JSON.parse(await readFile(join(folder, entries[0]!), 'utf8')) as { key: string }).key.startsWith(`${stamp}\n`)).toBe(true);
    // Any change to the text of a module that decides validity gives another stamp.
    const copy = await createTempDir('ravi-startup-stamp-dist-');
    for (const name of modules) {
      await mkdir(join(copy, 'config'), { recursive: true });
      await writeFile(join(copy, `${name}.js`), await readFile(fileURLToPath(new URL(`../../dist/${name}.js`, import.meta.url))));
    }
    expect(await schemaStampOf(copy, modules, fileURLToPath(new URL('../../package.json', import.meta.url)))).toBe(stamp);
    await writeFile(join(copy, 'config/names.js'), `${await readFile(join(copy, 'config/names.js'), 'utf8')}\n`);
    expect(await schemaStampOf(copy, modules, fileURLToPath(new URL('../../package.json', import.meta.url)))).not.toBe(stamp);
  });

  it('the program\'s no-op `reconcile` loads a pass as one file, not module by module, and neither node:crypto, child_process, graceful-fs, assert nor perf_hooks', async () => {
    const loaded = (await modulesLoadedBy(['reconcile'], worktree, 0, CLI_PATH)).map((url) => url.replace(/^.*\/dist-cli\//, ''));
    expect(loaded).toContain('reconcile/engine.js');
    expect(loaded.filter((path) => /^reconcile\/(observe|plan|plan-acquire)\.js$/.test(path))).toEqual([]); // inside engine.js
    // The state lock was taken (proper-lockfile, bundled with node:fs for graceful-fs: scripts/build-cli.mjs).
    expect(loaded).toContain('packages/proper-lockfile.js');
    expect(loaded.filter((url) => /node_modules\/(graceful-fs|proper-lockfile)\//.test(url))).toEqual([]);
    expect(loaded).not.toContain('file:internal/graceful-fs-patched-fs');
    // Names are hashed by util/sha256.ts, a claim's temp name needs node:crypto only when written, git runs only
    // for what the files cannot answer: a no-op needs neither OpenSSL nor child processes.
    expect(loaded).not.toContain('file:internal/crypto');
    expect(loaded).not.toContain('file:internal/child_process');
    // proper-lockfile's signal-exit gets the build's assert.equal (node:assert: 3.5-4.5 ms), and the pass times
    // itself with process.hrtime (the global `performance` loads perf_hooks: about 1 ms).
    expect(loaded).not.toContain('file:internal/assert');
    expect(loaded).not.toContain('file:internal/perf_hooks');
  });
});
