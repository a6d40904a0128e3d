/**
 * `init` and `init --superset` against real git repos: files written to the main worktree, merge and refusals,
 * idempotent re-runs and dry runs (the generated scripts are run in superset-scripts.test.ts).
 */
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { execa } from 'execa';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCommandLine } from '../../src/cli/run.js';
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

type InitFlags = { superset?: boolean; local?: boolean; force?: boolean; dryRun?: boolean; json?: boolean; install?: string };

/** `init` parsed and run in-process (errors thrown as they are): flags as `{ dryRun: true }` become `--dry-run`. */
async function init(cwd: string, flags: InitFlags = {}): Promise<Run> {
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const io = { stdout, stderr: new PassThrough(), cwd, env: process.env, readStdin: async () => '', readSecret: async () => null };
  const argv = Object.entries(flags).flatMap(([name, value]) => {
    const flag = `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    return value === true ? [flag] : typeof value === 'string' ? [`${flag}=${value}`] : [];
  });
  const code = await runCommandLine(['init', ...argv], io);
  return { code, stdout: text };
}

async function initError(cwd: string, flags: InitFlags): Promise<Error> {
  const error: unknown = await init(cwd, flags).then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

const superset = (repo: TestRepo, name: string): string => join(repo.path, '.superset', name);
const read = (path: string): Promise<string> => readFile(path, 'utf8');
const modeOf = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

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
    // The Ravi CLI's command is `ravi auth login` (what the provider's 401 message says too).
    expect(text).toContain('ravi auth login');
    expect(text).not.toMatch(/ravi login/);
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
