/**
 * `ravi-orchestrator ravi -- ARGS` and `whoami` below the worktree's root. The real `ravi` is a Go binary
 * that cannot be installed by the test run, so a stand-in on PATH records what the real one would get:
 * its working folder (it reads ./.ravi/config.json there only), its arguments and that file's identity.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanupTempDirs, createRepo, createTempDir, type TestRepo } from '../support/git-fixtures.js';
import { startFakeRaviServer, type FakeRaviServer } from '../support/fake-ravi-server.js';
import { runBuiltCli } from '../support/cli.js';

afterAll(cleanupTempDirs);

let server: FakeRaviServer;
let repo: TestRepo;
let home: string;
let worktree: string;
let bin: string;

beforeAll(async () => {
  server = await startFakeRaviServer();
  repo = await createRepo({ name: 'pass' });
  worktree = await repo.addWorktree('agent');
  home = await createTempDir('ravi-pass-home-');
  const credentials = join(home, 'ravi.json');
  await writeFile(credentials, JSON.stringify({ management_key: server.managementKey }), { mode: 0o600 });
  await writeFile(join(repo.path, 'ravi-orchestrator.config.json'), JSON.stringify({ provider: { kind: 'ravi', apiUrl: server.url, credentialsFile: credentials } }));
  expect((await runBuiltCli(['reconcile'], { cwd: repo.path, home })).exitCode).toBe(0);
  bin = await createTempDir('ravi-pass-bin-');
  await writeFile(join(bin, 'ravi'), '#!/bin/sh\nprintf "%s\\n" "$PWD" "$*"\ncat ./.ravi/config.json | tr -d "\\n"\nexit 4\n');
  await chmod(join(bin, 'ravi'), 0o755);
});
afterAll(async () => {
  await server.close();
});

describe('ravi -- ARGS', () => {
  it('runs the real CLI from the worktree root, with the arguments as given and its exit code', async () => {
    const deep = join(worktree, 'src', 'deep');
    await mkdir(deep, { recursive: true });
    const run = await runBuiltCli(['ravi', '--', 'message', 'email', '--unread'], { cwd: deep, home, env: { PATH: `${bin}:${process.env.PATH ?? ''}` } });
    expect(run.exitCode).toBe(4);
    const [cwd, args, config] = run.stdout.split('\n');
    expect(cwd).toBe(worktree);
    expect(args).toBe('message email --unread');
    const uuid = (JSON.parse(await readFile(join(worktree, '.ravi', 'config.json'), 'utf8')) as { identity_uuid: string }).identity_uuid;
    expect(JSON.parse(config ?? '{}')).toMatchObject({ identity_uuid: uuid });
  });

  it('says how to install ravi when it is not on PATH (exit 127)', async () => {
    const run = await runBuiltCli(['ravi', '--', 'get', 'email'], { cwd: worktree, home, env: { PATH: '/usr/bin:/bin' } });
    expect(run.exitCode).toBe(127);
    expect(run.stderr).toMatch(/`ravi` CLI is not installed; install it from https:\/\/github\.com\/ravi-hq\/cli\/releases/);
  });

  it('refuses when the worktree has no scoped key, rather than act as the account', async () => {
    const other = await repo.addWorktree('unprovisioned');
    expect((await runBuiltCli(['reconcile', '--worktree', other], { cwd: other, home })).exitCode).toBe(0);
    await writeFile(join(other, '.ravi', 'config.json'), JSON.stringify({ management_key: 'ravi_mgmt_x' }));
    const run = await runBuiltCli(['ravi', '--', 'get', 'email'], { cwd: other, home, env: { PATH: `${bin}:${process.env.PATH ?? ''}` } });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/holds a management key; run: ravi-orchestrator reconcile --worktree/);
    expect(run.stdout).toBe('');
  });
});

describe('whoami below the worktree root', () => {
  it('warns that the real `ravi` would use ~/.ravi/config.json from here', async () => {
    const sub = join(worktree, 'src');
    await mkdir(sub, { recursive: true });
    const below = await runBuiltCli(['whoami'], { cwd: sub, home });
    expect(below.exitCode).toBe(0);
    expect(below.stderr).toMatch(/reads \.\/\.ravi\/config\.json in the current folder only; from here it would use ~\/\.ravi\/config\.json/);
    expect((await runBuiltCli(['whoami'], { cwd: worktree, home })).stderr).toBe('');
  });
});
