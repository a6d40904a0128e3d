/**
 * The generated Superset scripts, run by bash in a real linked worktree with a PATH built for each case: stub
 * CLIs that record their argv, and spies named `npx` and `npm` that record any call. Issue 13.7: the CLI comes
 * from PATH or the project's own node_modules/.bin, never from a registry download, so the spies stay silent.
 */
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderSetupScript, renderTeardownScript } from '../../src/init/superset.js';
import { cleanupTempDirs, createRepo, createTempDir, type TestRepo } from '../support/git-fixtures.js';

afterAll(cleanupTempDirs);

/** What the scripts may use from the machine; everything else on PATH is a stub or a spy. */
const TOOLS = ['bash', 'git', 'sed', 'timeout', 'sleep'] as const;

let repo: TestRepo;
let worktree: string;
let bash: string;
let toolsDir: string;
let spiesDir: string;

beforeAll(async () => {
  repo = await createRepo({ name: 'scripts' });
  await mkdir(join(repo.path, '.superset'));
  await writeFile(join(repo.path, '.superset', 'setup.sh'), renderSetupScript(`printf '%s\\n' "it's installed" > install.out`), { mode: 0o755 });
  await writeFile(join(repo.path, '.superset', 'teardown.sh'), renderTeardownScript(), { mode: 0o755 });
  await repo.git('add', '.superset');
  await repo.git('commit', '--quiet', '-m', 'superset preset');
  worktree = await repo.addWorktree('feat/scripts'); // a new worktree gets the scripts from git, as in Superset
  bash = (await execa('bash', ['-c', 'command -v bash'])).stdout;
  toolsDir = await createTempDir('ravi-tools-');
  for (const tool of TOOLS) {
    const found = await execa('bash', ['-c', `command -v ${tool}`], { reject: false });
    if (found.exitCode === 0) await symlink(found.stdout, join(toolsDir, tool)); // timeout(1) is optional
  }
  spiesDir = await createTempDir('ravi-spies-');
  for (const name of ['npx', 'npm']) await writeRecorder(join(spiesDir, name), name, 0);
});

/** A command that appends `label` and its argv (one per line) to $RECORD, then exits `code`. */
async function writeRecorder(path: string, label: string, code: number): Promise<void> {
  await writeFile(path, `#!/usr/bin/env bash\n{ echo "${label}"; printf '%s\\n' "$@"; } >> "$RECORD"\nexit ${code}\n`, { mode: 0o755 });
}

/** A folder holding a `ravi-orchestrator` recorder, for PATH. */
async function cliOnPath(code = 0): Promise<string> {
  const dir = await createTempDir('ravi-cli-');
  await writeRecorder(join(dir, 'ravi-orchestrator'), 'ravi-orchestrator', code);
  return dir;
}

/** A project-local install (`<root>/node_modules/.bin/ravi-orchestrator`) recording as `label`; returns a remover. */
async function localInstall(root: string, label: string, code = 0): Promise<() => Promise<void>> {
  const bin = join(root, 'node_modules', '.bin');
  await mkdir(bin, { recursive: true });
  await writeRecorder(join(bin, 'ravi-orchestrator'), label, code);
  return () => rm(join(root, 'node_modules'), { recursive: true, force: true });
}

interface ScriptRun {
  readonly exitCode: number;
  readonly stderr: string;
  /** Every recorded call, label then argv. */
  readonly record: string[];
}

async function runScript(script: 'setup.sh' | 'teardown.sh', pathDirs: readonly string[]): Promise<ScriptRun> {
  const record = join(await createTempDir('ravi-record-'), 'argv');
  const PATH = [...pathDirs, spiesDir, toolsDir].join(':');
  const result = await execa(bash, [join('.superset', script)], { cwd: worktree, reject: false, extendEnv: false, env: { PATH, RECORD: record, HOME: worktree } });
  const recorded = existsSync(record) ? (await readFile(record, 'utf8')).trimEnd().split('\n') : [];
  return { exitCode: result.exitCode ?? -1, stderr: result.stderr, record: recorded };
}

/** What the install step wrote (then removed, for the next case), or null if it did not run. */
async function readInstallOut(): Promise<string | null> {
  const file = join(worktree, 'install.out');
  if (!existsSync(file)) return null;
  const text = await readFile(file, 'utf8');
  await rm(file);
  return text;
}

describe('setup.sh', () => {
  it('reconciles this worktree with the CLI on PATH, then runs the install step', async () => {
    const removeMain = await localInstall(repo.path, 'main-install'); // PATH wins over a local install
    try {
      const result = await runScript('setup.sh', [await cliOnPath()]);
      expect(result.exitCode).toBe(0);
      expect(result.record).toEqual(['ravi-orchestrator', 'reconcile', '--worktree', worktree]);
      expect(await readInstallOut()).toBe("it's installed\n");
    } finally {
      await removeMain();
    }
  });

  it("without the CLI on PATH, uses the main worktree's node_modules/.bin (a new worktree has none yet)", async () => {
    const removeMain = await localInstall(repo.path, 'main-install');
    try {
      const result = await runScript('setup.sh', []);
      expect(result.exitCode).toBe(0);
      expect(result.record).toEqual(['main-install', 'reconcile', '--worktree', worktree]);
    } finally {
      await removeMain();
    }
  });

  it("prefers this worktree's own node_modules/.bin to the main worktree's", async () => {
    const removeMain = await localInstall(repo.path, 'main-install');
    const removeOwn = await localInstall(worktree, 'own-install');
    try {
      const result = await runScript('setup.sh', []);
      expect(result.record).toEqual(['own-install', 'reconcile', '--worktree', worktree]);
    } finally {
      await removeOwn();
      await removeMain();
    }
  });

  it('with no CLI anywhere: never npx or npm, exits 127 with the install instruction, still runs the install step', async () => {
    const result = await runScript('setup.sh', []);
    expect(result.record).toEqual([]); // the npx and npm spies were on PATH and never called
    expect(result.exitCode).toBe(127);
    expect(result.stderr).toContain('ravi-orchestrator is neither on PATH nor installed in this project');
    expect(result.stderr).toContain('npm install && npm install -g .');
    expect(result.stderr).not.toMatch(/npx|npm i(nstall)? (-g )?ravi-orchestrator/); // no advice to fetch the name from a registry
    expect(await readInstallOut()).toBe("it's installed\n");
  });

  it('fails (after installing) when reconcile fails', async () => {
    const result = await runScript('setup.sh', [await cliOnPath(3)]);
    expect(result.record).toEqual(['ravi-orchestrator', 'reconcile', '--worktree', worktree]);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain('reconcile failed (exit 3)');
    expect(await readInstallOut()).toBe("it's installed\n");
  });
});

describe('teardown.sh', () => {
  it('releases this worktree at once', async () => {
    const result = await runScript('teardown.sh', [await cliOnPath()]);
    expect(result).toMatchObject({ exitCode: 0, record: ['ravi-orchestrator', 'release', '--worktree', worktree] });
  });

  it("uses the main worktree's local install when the CLI is not on PATH", async () => {
    const removeMain = await localInstall(repo.path, 'main-install');
    try {
      const result = await runScript('teardown.sh', []);
      expect(result).toMatchObject({ exitCode: 0, record: ['main-install', 'release', '--worktree', worktree] });
    } finally {
      await removeMain();
    }
  });

  it('exits 0 with a message when release fails, with or without timeout(1)', async () => {
    const withTimeout = await runScript('teardown.sh', [await cliOnPath(1)]);
    // PATH without timeout(1): the watchdog path runs.
    const noTimeoutTools = await createTempDir('ravi-tools-no-timeout-');
    for (const tool of ['bash', 'sleep']) await symlink(join(toolsDir, tool), join(noTimeoutTools, tool));
    const record = join(await createTempDir('ravi-record-'), 'argv');
    const bare = await execa(bash, ['.superset/teardown.sh'], {
      cwd: worktree, reject: false, extendEnv: false, env: { PATH: `${await cliOnPath(1)}:${noTimeoutTools}`, RECORD: record, HOME: worktree },
    });
    expect(bare.exitCode).toBe(0);
    expect((await readFile(record, 'utf8')).trimEnd().split('\n')).toEqual(['ravi-orchestrator', 'release', '--worktree', worktree]);
    expect(bare.stderr).toContain('release failed (exit 1');
    expect(withTimeout.exitCode).toBe(0);
    expect(withTimeout.record).toEqual(['ravi-orchestrator', 'release', '--worktree', worktree]);
    expect(withTimeout.stderr).toContain('release failed (exit 1');
  });

  it('with no CLI anywhere: never npx or npm, exits 0 and says how to install', async () => {
    const result = await runScript('teardown.sh', []);
    expect(result.record).toEqual([]);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain('ravi-orchestrator is neither on PATH nor installed in this project');
    expect(result.stderr).toContain("the daemon's orphan sweep will delete this worktree's identity later");
  });
});
