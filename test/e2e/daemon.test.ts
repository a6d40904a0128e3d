import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, rm, writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { cleanupTempDirs, createRepo, createTempDir, type TestRepo } from '../support/git-fixtures.js';
import { killAllDaemons, readJsonFile, startDaemonProcess, waitFor, type DaemonProcess } from '../support/daemon-process.js';
import { runBuiltCli } from '../support/cli.js';
import { BLOCK_BEGIN, BLOCK_END } from '../../src/files/env-block.js';
import { readLocalIdentities } from '../support/local-identities.js';
import { Ledger } from '../../src/files/ledger.js';

afterAll(async () => {
  await killAllDaemons();
  await cleanupTempDirs();
});

let repo: TestRepo;
let home: string;
let daemon: DaemonProcess;
const configFile = () => join(repo.path, 'ravi-orchestrator.config.json');
const identities = async () => readLocalIdentities(join(home, 'state'));
/** Addresses of identities leased to a worktree now (a released one rests in the pool, not deleted). */
const leased = async () => (await Ledger.open(join(home, 'state'), 'local')).identities().filter((i) => i.lease !== null).map((i) => i.email);
const envOf = async (worktree: string) => parse(await readFile(join(worktree, '.env'), 'utf8'));
const emailOf = async (worktree: string) => (await envOf(worktree).catch(() => ({}) as Record<string, string>)).AGENT_EMAIL;

beforeAll(async () => {
  repo = await createRepo({ name: 'live' });
  home = await createTempDir('ravi-daemon-home-');
  await writeFile(configFile(), JSON.stringify({ orphans: { grace: 0 }, env: { vars: { AGENT_EMAIL: '{email}', AGENT_BRANCH: '{branch}' } }, mail: { smtpPort: 0, smsPort: 0 } }));
  daemon = startDaemonProcess({ cwd: repo.path, home });
  await waitFor(async () => (await readJsonFile<{ state: string }>(join(home, 'state', 'daemon-status.json')))?.state === 'running', 'the daemon to run');
});

describe('the daemon, driven by real git commands', () => {
  it('provisions a worktree added with git worktree add', async () => {
    const worktree = await repo.addWorktree('added');
    const email = await waitFor(() => emailOf(worktree), 'the new worktree .env');
    expect((await identities()).map((i) => i.email)).toContain(email);
  });

  it('ends the lease of a worktree removed with git worktree remove (the identity returns to the pool)', async () => {
    const worktree = await repo.addWorktree('removed');
    const email = await waitFor(() => emailOf(worktree), 'the .env');
    await repo.removeWorktree(worktree, { force: true });
    await waitFor(async () => !(await leased()).includes(email), 'the lease to end');
    expect((await identities()).map((i) => i.email)).toContain(email);
  });

  it('writes back a .env deleted by hand once it has stayed gone a moment (its folder may be being deleted)', async () => {
    const worktree = await repo.addWorktree('deleted-env');
    const email = await waitFor(() => emailOf(worktree), 'the .env');
    await rm(join(worktree, '.env'));
    // The deletion's own pass leaves it alone; the daemon comes back when it has settled, with no other event.
    await waitFor(async () => (await emailOf(worktree)) === email, 'the .env to be written back');
    expect(await leased()).toContain(email);
  });

  it('keeps the identity across git worktree move', async () => {
    const worktree = await repo.addWorktree('mover');
    const email = await waitFor(() => emailOf(worktree), 'the .env');
    const target = join(repo.root, 'moved-mover');
    await repo.moveWorktree(worktree, target);
    await waitFor(async () => (await emailOf(target)) === email, 'the moved .env');
    expect((await identities()).filter((i) => i.email === email)).toHaveLength(1);
  });

  it('ends the lease after rm -rf of a worktree folder, with or without git worktree prune', async () => {
    const a = await repo.addWorktree('rmrf-a');
    const b = await repo.addWorktree('rmrf-b');
    const [ea, eb] = [await waitFor(() => emailOf(a), 'a'), await waitFor(() => emailOf(b), 'b')];
    await rm(a, { recursive: true, force: true });
    await waitFor(async () => !(await leased()).includes(ea), 'rm -rf to be noticed');
    await rm(b, { recursive: true, force: true });
    await repo.prune();
    await waitFor(async () => !(await leased()).includes(eb), 'prune to be noticed');
  });

  it('never ends the lease of a locked worktree, and updates {branch} on a branch switch', async () => {
    const worktree = await repo.addWorktree('locked');
    const email = await waitFor(() => emailOf(worktree), 'the .env');
    await repo.git('-C', worktree, 'switch', '-q', '-c', 'renamed-branch');
    await waitFor(async () => (await envOf(worktree)).AGENT_BRANCH === 'renamed-branch', 'the branch switch');
    await repo.lockWorktree(worktree, 'usb disk');
    await rm(worktree, { recursive: true, force: true });
    const probe = await repo.addWorktree('after-lock'); // a later event proves the daemon looked again
    await waitFor(() => emailOf(probe), 'a pass after the lock');
    expect(await leased()).toContain(email);
  });

  it('repairs an edit inside the managed block and leaves user lines alone', async () => {
    const worktree = await repo.addWorktree('edited');
    const email = await waitFor(() => emailOf(worktree), 'the .env');
    const text = await readFile(join(worktree, '.env'), 'utf8');
    await writeFile(join(worktree, '.env'), `MINE=1\n${text.replace(email as string, 'hacked@example.com')}`);
    await waitFor(async () => (await emailOf(worktree)) === email, 'the block to be repaired');
    const repaired = await readFile(join(worktree, '.env'), 'utf8');
    expect(repaired.startsWith(`MINE=1\n${BLOCK_BEGIN}`), repaired).toBe(true);
    expect(repaired.trimEnd().endsWith(BLOCK_END)).toBe(true);
  });

  it('lets a one-shot reconcile run while it runs (it waits for the lock instead of racing)', async () => {
    const worktree = await repo.addWorktree('oneshot');
    const run = await runBuiltCli(['reconcile', '--json'], { cwd: repo.path, home });
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    const email = await waitFor(() => emailOf(worktree), 'the .env');
    expect((await identities()).filter((i) => i.email === email)).toHaveLength(1);
  });

  it('hot-reloads the config: a new repo is picked up, a broken config keeps the last good one', async () => {
    const other = await createRepo({ name: 'second' });
    const worktree = await other.addWorktree('elsewhere');
    const good = { repos: [repo.path, other.path], orphans: { grace: 0 }, env: { vars: { AGENT_EMAIL: '{email}', AGENT_BRANCH: '{branch}' } }, mail: { smtpPort: 0, smsPort: 0 } };
    await writeFile(configFile(), JSON.stringify(good));
    await waitFor(() => emailOf(worktree), 'the second repo to be provisioned');
    await writeFile(configFile(), '{ "concurrency": 0 ');
    await waitFor(async () => (await readJsonFile<{ configError: string | null }>(join(home, 'state', 'daemon-status.json')))?.configError, 'the reload error');
    const still = await repo.addWorktree('still-working');
    await waitFor(() => emailOf(still), 'passes with the last good config');
    await writeFile(configFile(), JSON.stringify(good));
  });

  it('status shows the running daemon and its last pass per repo', async () => {
    const run = await runBuiltCli(['status', '--json'], { cwd: repo.path, home });
    const status = JSON.parse(run.stdout) as { daemon: { running: boolean; status: { pid: number; repos: Array<{ lastPass: unknown }> } } };
    expect(status.daemon.running).toBe(true);
    expect(status.daemon.status.pid).toBe(daemon.pid);
    expect(status.daemon.status.repos.every((r) => r.lastPass !== null)).toBe(true);
  });

  it('refuses a second daemon for the same state dir', async () => {
    const second = startDaemonProcess({ cwd: repo.path, home });
    const result = await second.child;
    expect(result.exitCode).toBe(75);
    expect(second.output()).toMatch(new RegExp(`pid ${daemon.pid}`));
  });

  it('stops on SIGTERM with exit 0 and releases its lock', async () => {
    expect(await daemon.stop()).toBe(0);
    await expect(stat(join(home, 'state', 'daemon.pid'))).rejects.toThrow(/ENOENT/);
    const status = await readJsonFile<{ state: string }>(join(home, 'state', 'daemon-status.json'));
    expect(status?.state).toBe('stopped');
    const next = startDaemonProcess({ cwd: repo.path, home });
    await waitFor(async () => (await readJsonFile<{ state: string; pid: number }>(join(home, 'state', 'daemon-status.json')))?.pid === next.pid, 'a new daemon');
    expect(await next.stop()).toBe(0);
  });
});
