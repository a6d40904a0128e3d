/**
 * `init` and `init --superset` against real git repos: files written to the main worktree, merge and refusals,
 * idempotent re-runs, dry runs, and the generated scripts run by bash with stub CLIs on PATH.
 */
import { readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { execa } from 'execa';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { defaultCliArgs, type CliArgs } from '../../src/cli/args.js';
import { initCommand } from '../../src/cli/commands/init.js';
import type { CommandContext } from '../../src/cli/context.js';
import { loadConfig } from '../../src/config/load.js';
import { cleanupTempDirs, createRepo, createTempDir, type TestRepo } from '../support/git-fixtures.js';

afterAll(cleanupTempDirs);
beforeAll(async () => {
  // Temp folders the file's cleanup removes: a fixed /tmp path would outlive the run.
  const scratch = await createTempDir('ravi-init-env-');
  vi.stubEnv('RAVI_ORCHESTRATOR_STATE_DIR', join(scratch, 'state'));
  vi.stubEnv('RAVI_ORCHESTRATOR_CACHE_DIR', join(scratch, 'cache')); // .ts configs' cache (jiti's)
});

interface Run {
  readonly code: number;
  readonly stdout: string;
}

/** initCommand with a hand-built context: init reads only args, io and worktree. */
async function init(cwd: string, flags: Partial<CliArgs> = {}): Promise<Run> {
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const io = { stdout, stderr: new PassThrough(), cwd, env: process.env, readStdin: async () => '' };
  const context = { args: defaultCliArgs('init', flags), io, worktree: null } as unknown as CommandContext;
  const code = await initCommand(context);
  return { code, stdout: text };
}

async function initError(cwd: string, flags: Partial<CliArgs>): Promise<Error> {
  const error: unknown = await init(cwd, flags).then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

const superset = (repo: TestRepo, name: string): string => join(repo.path, '.superset', name);
const read = (path: string): Promise<string> => readFile(path, 'utf8');
const modeOf = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

/** A folder of stub commands that append their name and argv (one per line) to $RECORD, then exit `code`. */
async function stubDir(names: readonly string[], code = 0, extra: readonly string[] = []): Promise<string> {
  const dir = await createTempDir('ravi-stub-');
  for (const name of names) {
    await writeFile(join(dir, name), `#!/usr/bin/env bash\n{ echo "${name}"; printf '%s\\n' "$@"; } >> "$RECORD"\nexit ${code}\n`, { mode: 0o755 });
  }
  for (const tool of extra) await symlink((await execa('bash', ['-c', `command -v ${tool}`])).stdout, join(dir, tool));
  return dir;
}

async function runScript(script: string, cwd: string, path: string): Promise<{ exitCode: number; stderr: string; record: string[] }> {
  const record = join(await createTempDir('ravi-record-'), 'argv');
  const bash = (await execa('bash', ['-c', 'command -v bash'])).stdout;
  const result = await execa(bash, [script], { cwd, reject: false, extendEnv: false, env: { PATH: path, RECORD: record, HOME: cwd } });
  const recorded = existsSync(record) ? (await read(record)).trimEnd().split('\n') : [];
  return { exitCode: result.exitCode ?? -1, stderr: result.stderr, record: recorded };
}

describe('init --superset', () => {
  it('writes config.json, setup.sh and teardown.sh in the main worktree; a second run changes nothing', async () => {
    const repo = await createRepo({ name: 'app' });
    const linked = await repo.addWorktree('feat/x');
    const first = await init(linked, { superset: true, json: true });
    expect(first.code).toBe(0);
    const paths = ['setup.sh', 'teardown.sh', 'config.json'].map((n) => superset(repo, n));
    expect(JSON.parse(first.stdout)).toMatchObject({ written: paths, unchanged: [] });
    expect(JSON.parse(await read(paths[2]!))).toEqual({ setup: ['bash .superset/setup.sh'], teardown: ['bash .superset/teardown.sh'] });
    for (const script of paths.slice(0, 2)) {
      expect(await modeOf(script)).toBe(0o755);
      await execa('bash', ['-n', script]); // syntax check
      const text = await read(script);
      expect(text).toMatch(/^#!\/usr\/bin\/env bash\n# managed by ravi-orchestrator\n/);
      expect(text).toContain('set -euo pipefail');
      expect(text).not.toContain(repo.root); // no path of this machine
    }
    const before = await Promise.all(paths.map(read));
    const second = await init(repo.path, { superset: true, json: true });
    expect(JSON.parse(second.stdout)).toMatchObject({ written: [], unchanged: paths });
    expect(await Promise.all(paths.map(read))).toEqual(before);
    expect((await init(repo.path, { superset: true })).stdout).toContain('config.json is up to date.');
    // Not git-ignored: the team commits them.
    expect(await repo.git('status', '--porcelain', '--untracked-files=all')).toContain('.superset/setup.sh');
  });

  it('merges into an existing config.json, keeping run, cwd, unknown keys and commands', async () => {
    const repo = await createRepo();
    const existing = { run: ['bun dev'], setup: ['bun install'], cwd: 'web', extra: true };
    await repo.commitFile('.superset/config.json', JSON.stringify(existing));
    await init(repo.path, { superset: true });
    expect(JSON.parse(await read(superset(repo, 'config.json')))).toEqual({
      ...existing, setup: ['bun install', 'bash .superset/setup.sh'], teardown: ['bash .superset/teardown.sh'],
    });
  });

  it('refuses a string-form setup, naming file and key, and writes nothing', async () => {
    const repo = await createRepo();
    await repo.commitFile('.superset/config.json', '{"setup": ".superset/setup.sh"}\n');
    const error = await initError(repo.path, { superset: true });
    expect(error.message).toContain(superset(repo, 'config.json'));
    expect(error.message).toContain('"setup" must be an array of strings');
    expect(existsSync(superset(repo, 'setup.sh'))).toBe(false);
    expect(await read(superset(repo, 'config.json'))).toBe('{"setup": ".superset/setup.sh"}\n');
  });

  it('does not overwrite a setup.sh it did not write, unless --force', async () => {
    const repo = await createRepo();
    await repo.commitFile('.superset/setup.sh', '#!/bin/sh\nnpm ci\n');
    expect((await initError(repo.path, { superset: true })).message).toMatch(/setup\.sh exists and was not written by ravi-orchestrator.*--force/);
    expect(existsSync(superset(repo, 'config.json'))).toBe(false);
    await init(repo.path, { superset: true, force: true });
    expect(await read(superset(repo, 'setup.sh'))).toContain('# managed by ravi-orchestrator');
  });

  it('--dry-run prints every file and writes nothing', async () => {
    const repo = await createRepo();
    const run = await init(repo.path, { superset: true, dryRun: true, install: 'bun install' });
    expect(run.stdout).toContain(`Would create ${superset(repo, 'setup.sh')} (mode 0755):`);
    expect(run.stdout).toContain(`Would create ${superset(repo, 'config.json')} (mode 0644):`);
    expect(run.stdout).toContain("install_command='bun install'");
    expect(existsSync(join(repo.path, '.superset'))).toBe(false);
    expect(await repo.git('status', '--porcelain')).toBe('');
  });

  it('--local writes the overlay, leaves config.json alone and keeps the overlay out of git status', async () => {
    const repo = await createRepo();
    await repo.commitFile('.superset/config.json', '{"setup": ["npm ci"]}\n');
    const first = await init(repo.path, { superset: true, local: true, json: true });
    expect(JSON.parse(await read(superset(repo, 'config.local.json')))).toEqual({
      setup: { after: ['bash .superset/setup.sh'] }, teardown: { before: ['bash .superset/teardown.sh'] },
    });
    expect(await read(superset(repo, 'config.json'))).toBe('{"setup": ["npm ci"]}\n');
    expect(JSON.parse(first.stdout).written).toContain(join(repo.commonDir, 'info', 'exclude'));
    const status = await repo.git('status', '--porcelain', '--untracked-files=all');
    expect(status).not.toContain('config.local.json');
    expect(status).toContain('.superset/teardown.sh');
    const second = JSON.parse((await init(repo.path, { superset: true, local: true, json: true })).stdout);
    expect(second.written).toEqual([]);
  });

  it('keeps the install step on a re-run without --install; --install "" removes it', async () => {
    const repo = await createRepo();
    await init(repo.path, { superset: true, install: 'bun install' });
    const withInstall = await read(superset(repo, 'setup.sh'));
    await init(repo.path, { superset: true });
    expect(await read(superset(repo, 'setup.sh'))).toBe(withInstall);
    await init(repo.path, { superset: true, install: '' });
    expect(await read(superset(repo, 'setup.sh'))).not.toContain('install_command');
  });

  it('rejects flags that do not apply', async () => {
    const repo = await createRepo();
    expect((await initError(repo.path, { local: true })).name).toBe('UsageError');
    expect((await initError(repo.path, { install: 'x' })).name).toBe('UsageError');
    expect((await initError(repo.path, { superset: true, install: 'a\nb' })).name).toBe('UsageError');
  });
});

describe('generated scripts', () => {
  let repo: TestRepo;
  let worktree: string;
  beforeAll(async () => {
    repo = await createRepo({ name: 'scripts' });
    await init(repo.path, { superset: true, install: `printf '%s\\n' "it's installed" > install.out` });
    await repo.git('add', '.superset');
    await repo.git('commit', '--quiet', '-m', 'superset preset');
    worktree = await repo.addWorktree('feat/scripts'); // a new worktree gets the scripts from git, as in Superset
  });

  it('setup.sh reconciles this worktree, then runs the install step', async () => {
    const stubs = await stubDir(['ravi-orchestrator']);
    const result = await runScript('.superset/setup.sh', worktree, `${stubs}:${process.env.PATH}`);
    expect(result.exitCode).toBe(0);
    expect(result.record).toEqual(['ravi-orchestrator', 'reconcile', '--worktree', worktree]);
    expect(await read(join(worktree, 'install.out'))).toBe("it's installed\n");
  });

  it('setup.sh falls back to npx, and fails (after installing) when reconcile fails', async () => {
    const stubs = await stubDir(['npx'], 3, ['bash', 'printf']);
    const result = await runScript('.superset/setup.sh', worktree, stubs);
    expect(result.record).toEqual(['npx', '--yes', 'ravi-orchestrator', 'reconcile', '--worktree', worktree]);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain('reconcile failed (exit 3)');
  });

  it('teardown.sh releases this worktree at once', async () => {
    const stubs = await stubDir(['ravi-orchestrator']);
    const result = await runScript('.superset/teardown.sh', worktree, `${stubs}:${process.env.PATH}`);
    expect(result).toMatchObject({ exitCode: 0, record: ['ravi-orchestrator', 'release', '--worktree', worktree] });
  });

  it('teardown.sh exits 0 with a message when release fails, with or without timeout(1)', async () => {
    const withTimeout = await runScript('.superset/teardown.sh', worktree, `${await stubDir(['ravi-orchestrator'], 1)}:${process.env.PATH}`);
    // PATH holding only bash, sleep and the stub: no timeout, so the watchdog path runs.
    const bare = await runScript('.superset/teardown.sh', worktree, await stubDir(['ravi-orchestrator'], 1, ['bash', 'sleep']));
    for (const result of [withTimeout, bare]) {
      expect(result.exitCode).toBe(0);
      expect(result.record).toEqual(['ravi-orchestrator', 'release', '--worktree', worktree]);
      expect(result.stderr).toContain('release failed (exit 1');
    }
  });

  it('teardown.sh exits 0 when no CLI can be found', async () => {
    const result = await runScript('.superset/teardown.sh', worktree, await stubDir([], 0, ['bash']));
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain('neither ravi-orchestrator nor npx is on PATH');
  });
});

describe('init (config file)', () => {
  it('writes a commented config that loads without the package and states the defaults', async () => {
    const repo = await createRepo({ name: 'cfg' });
    const file = join(repo.path, 'ravi-orchestrator.config.ts');
    expect((await init(repo.path, { dryRun: true })).stdout).toContain(`Would create ${file}`);
    expect(existsSync(file)).toBe(false);
    expect((await init(repo.path)).stdout).toContain(`Created ${file}`);
    const text = await read(file);
    expect(text).not.toMatch(/^import /m);
    const loaded = await loadConfig({ cwd: repo.path, defaultRepo: repo.path });
    await rm(file);
    const defaults = await loadConfig({ cwd: repo.path, defaultRepo: repo.path });
    expect({ ...loaded, source: null }).toEqual(defaults);
    expect(loaded.source).toBe(file);
    await writeFile(file, text);
    expect(typeErrors(file)).toEqual([]);
  });

  it('is unchanged on a second run and refuses another existing config unless --force', async () => {
    const repo = await createRepo();
    await init(repo.path);
    expect(JSON.parse((await init(repo.path, { json: true })).stdout)).toMatchObject({ written: [], unchanged: [join(repo.path, 'ravi-orchestrator.config.ts')] });
    await writeFile(join(repo.path, '.ravi-orchestratorrc.json'), '{}');
    // Our own file, unchanged: no refusal, but the user learns that two files compete.
    expect((await init(repo.path)).stdout).toContain('.ravi-orchestratorrc.json also configures ravi-orchestrator here');
    await rm(join(repo.path, 'ravi-orchestrator.config.ts'));
    expect((await initError(repo.path, {})).message).toMatch(/already has a ravi-orchestrator config \(\.ravi-orchestratorrc\.json\)/);
    await writeFile(join(repo.path, 'ravi-orchestrator.config.ts'), 'export default {};\n');
    expect((await initError(repo.path, {})).message).toContain('ravi-orchestrator.config.ts, .ravi-orchestratorrc.json');
    const forced = await init(repo.path, { force: true });
    expect(forced.stdout).toContain('.ravi-orchestratorrc.json also configures ravi-orchestrator here');
  });

  it('ignores a package.json without our key', async () => {
    const repo = await createRepo();
    await writeFile(join(repo.path, 'package.json'), '{"name": "x"}');
    expect((await init(repo.path)).code).toBe(0);
  });
});

/** Full strict type check of one file, with no ravi-orchestrator to resolve (as in a user's repo). */
function typeErrors(file: string): string[] {
  const program = ts.createProgram([file], { strict: true, noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, types: [] });
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' '));
}
