/**
 * The daemon answers `git worktree add` with a focused pass of the new worktree first (src/reconcile/focus-pass.ts),
 * then the full pass, in the same run. A real daemon process, real git, the local provider; what each pass did is
 * read from the daemon's own debug log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { cleanupTempDirs, createRepo, createTempDir, type TestRepo } from '../support/git-fixtures.js';
import { killAllDaemons, readJsonFile, startDaemonProcess, waitFor, type DaemonProcess } from '../support/daemon-process.js';
import { readLocalIdentities } from '../support/local-identities.js';
import { worktreeKey } from '../../src/files/ledger.js';

let repo: TestRepo;
let home: string;
let daemon: DaemonProcess;

interface LogLine {
  msg: string;
  time: number;
  keys?: string[];
  file?: string;
}

async function logLines(): Promise<LogLine[]> {
  const folder = join(home, 'state', 'logs');
  const lines: LogLine[] = [];
  for (const file of await readdir(folder)) {
    for (const line of (await readFile(join(folder, file), 'utf8')).split('\n')) if (line.startsWith('{')) lines.push(JSON.parse(line) as LogLine);
  }
  return lines;
}

const emailOf = async (worktree: string) => parse(await readFile(join(worktree, '.env'), 'utf8').catch(() => '')).AGENT_EMAIL;
const focusedKeys = async () => (await logLines()).filter((l) => l.msg === 'focused pass finished').flatMap((l) => l.keys ?? []);
const envWrites = async (worktree: string) => (await logLines()).filter((l) => l.msg === 'env file written' && l.file === join(worktree, '.env')).length;

/** The queue is empty and a pass that started after `since` is over. */
async function settledAfter(since: number): Promise<boolean> {
  const status = await readJsonFile<{ queue: { queued: string[]; running: string[] }; repos: Array<{ lastPass: { startedAt: string } | null }> }>(join(home, 'state', 'daemon-status.json'));
  const last = status?.repos[0]?.lastPass;
  return status !== null && status.queue.queued.length === 0 && status.queue.running.length === 0 && last != null && Date.parse(last.startedAt) >= since;
}

beforeAll(async () => {
  repo = await createRepo({ name: 'focus' });
  for (const name of ['one', 'two']) await repo.addWorktree(name);
  home = await createTempDir('ravi-daemon-focus-');
  await writeFile(join(repo.path, 'ravi-orchestrator.config.json'), JSON.stringify({ provider: { kind: 'local' }, orphans: { grace: 0 }, mail: { enabled: false } }));
  daemon = startDaemonProcess({ cwd: repo.path, home, args: ['--log-level', 'debug'] });
  await waitFor(async () => (await readLocalIdentities(join(home, 'state'))).length === 2, 'the existing worktrees to be provisioned');
  await waitFor(() => settledAfter(0), 'the start-up pass');
});

afterAll(async () => {
  await killAllDaemons();
  await cleanupTempDirs();
});

describe('the daemon\'s focused pass', () => {
  it('serves a worktree added with git worktree add, and the full pass after it writes nothing more for it', async () => {
    const since = Date.now();
    const worktree = await repo.addWorktree('added');
    await waitFor(() => emailOf(worktree), 'the new worktree .env');
    await waitFor(() => settledAfter(since), 'the daemon to settle');
    expect(await focusedKeys()).toContain(worktreeKey(repo.commonDir, 'added'));
    expect(await envWrites(worktree)).toBe(1);
    expect(await readLocalIdentities(join(home, 'state'))).toHaveLength(3);
  });

  it('serves two worktrees added at once, each with its own identity', async () => {
    const since = Date.now();
    // Back to back, not in parallel: two `git worktree add` at the same instant race in git itself (one reads the
    // other's half-made admin folder: "failed to read .git/worktrees/first/commondir").
    const added = [await repo.addWorktree('first'), await repo.addWorktree('second')];
    const emails = await Promise.all(added.map((worktree) => waitFor(() => emailOf(worktree), `${worktree}/.env`)));
    await waitFor(() => settledAfter(since), 'the daemon to settle');
    expect(new Set(emails).size).toBe(2);
    // Each is served by a focused pass: in the run after its add ended, or named again while it was under way.
    const keys = await focusedKeys();
    for (const name of ['first', 'second']) expect(keys).toContain(worktreeKey(repo.commonDir, name));
    for (const worktree of added) expect(await envWrites(worktree)).toBe(1);
  });

  it('serves a worktree whose admin id a removed worktree used before (git reuses ids)', async () => {
    const first = await repo.addWorktree('again');
    const before = await waitFor(() => emailOf(first), 'the first .env');
    let since = Date.now();
    await repo.removeWorktree(first, { force: true });
    await waitFor(() => settledAfter(since), 'the removal to be handled');
    const focusedBefore = (await focusedKeys()).length;
    since = Date.now();
    const second = await repo.addWorktree('again', { path: join('elsewhere', 'again'), branch: 'again-elsewhere' });
    const email = await waitFor(() => emailOf(second), 'the second .env');
    await waitFor(() => settledAfter(since), 'the daemon to settle');
    expect((await focusedKeys()).slice(focusedBefore)).toContain(worktreeKey(repo.commonDir, 'again'));
    // Grace 0 ended the first lease; quarantine keeps that identity from the new worktree at another path.
    expect(email).not.toBe(before);
    expect(await envWrites(second)).toBe(1);
  });

  it('stops cleanly', async () => {
    expect(await daemon.stop()).toBe(0);
  });
});
