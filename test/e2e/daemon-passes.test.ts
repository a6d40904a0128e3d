/**
 * How much work one event costs the daemon: passes and identity listings (API calls against the real
 * Ravi service) per `git worktree add` and `git worktree remove`. A real daemon process against the fake
 * Ravi server; passes are counted from the daemon's own log ("pass finished", one per pass).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { cleanupTempDirs, createRepo, createTempDir, type TestRepo } from '../support/git-fixtures.js';
import { startFakeRaviServer, type FakeRaviServer } from '../support/fake-ravi-server.js';
import { killAllDaemons, readJsonFile, startDaemonProcess, waitFor, type DaemonProcess } from '../support/daemon-process.js';
import { Ledger } from '../../src/files/ledger.js';

let server: FakeRaviServer;
let repo: TestRepo;
let home: string;
let daemon: DaemonProcess;
let startupListings = 0;
/**
 * Longer than the other daemon tests' 100 ms: `git worktree add` holds its `locked` file while it checks out,
 * and a checkout slower than the window (a loaded machine) makes its unlock a second, legitimate event.
 */
const DEBOUNCE_MS = 250;

interface Status {
  state: string;
  queue: { queued: string[]; running: string[] };
  repos: Array<{ repo: string; lastPass: { startedAt: string } | null }>;
}

const listings = () => server.calls.filter((c) => c.method === 'GET' && c.path === '/api/identities/').length;
const emailOf = async (worktree: string) => parse(await readFile(join(worktree, '.env'), 'utf8').catch(() => '')).AGENT_EMAIL;

/** Times (epoch ms) of the daemon's log lines with this message. */
async function logged(msg: string): Promise<number[]> {
  const folder = join(home, 'state', 'logs');
  const times: number[] = [];
  for (const file of await readdir(folder)) {
    for (const line of (await readFile(join(folder, file), 'utf8')).split('\n')) {
      if (line.includes(`"msg":"${msg}"`)) times.push((JSON.parse(line) as { time: number }).time);
    }
  }
  return times;
}
/** One line per pass. */
const passEnds = () => logged('pass finished');
/**
 * Our own write of a watched file usually comes back as a watch event one debounce window later (chokidar
 * may also drop it: it compares mtimes). Wait until it was handled, by the daemon's verdict that the files
 * are as its pass left them or by a second pass, or until it can no longer be pending, so that no event of
 * the step is left over when the passes are counted.
 */
async function echoHandled(since: number): Promise<boolean> {
  const writes = (await logged('env file written')).filter((t) => t >= since);
  if (writes.length === 0) return false;
  const verdicts = (await logged('watched files are as the last pass saw or left them: no pass')).filter((t) => t >= since);
  const passes = (await passEnds()).filter((t) => t >= since);
  return verdicts.length > 0 || passes.length >= 2 || Date.now() > Math.max(...writes) + QUIET_MS;
}
/** No event of a write is still pending this long after it. */
const QUIET_MS = DEBOUNCE_MS * 4 + 300;

/**
 * The queue is empty and its last pass started after `since`: returns that start. A pass that queues its
 * repo again does so before its run ends, and the status shows the key queued until that second run is
 * over, so an extra pass of that kind cannot hide behind this condition.
 */
async function settledAfter(since: number): Promise<number | null> {
  const status = await readJsonFile<Status>(join(home, 'state', 'daemon-status.json'));
  const last = status?.repos.find((r) => r.repo === repo.path)?.lastPass;
  if (status === null || status.queue.queued.length > 0 || status.queue.running.length > 0 || last == null) return null;
  const started = Date.parse(last.startedAt);
  return started >= since ? started : null;
}

/** Runs `event`, waits for `done` and then for the daemon to settle; returns the passes and listings it cost. */
async function cost(event: () => Promise<unknown>, done: () => Promise<boolean> | boolean, what: string): Promise<{ passes: number; listings: number }> {
  const listingsBefore = listings();
  const since = Date.now();
  await event();
  await waitFor(done, what);
  const lastStart = await waitFor(() => settledAfter(since), `the daemon to settle after ${what}`);
  // The log is written asynchronously: wait for the last pass's line, which follows all earlier ones.
  const ends = await waitFor(async () => {
    const all = await passEnds();
    return all.some((end) => end >= lastStart) ? all : null;
  }, 'the last pass to be logged');
  return { passes: ends.filter((end) => end >= since).length, listings: listings() - listingsBefore };
}

beforeAll(async () => {
  server = await startFakeRaviServer();
  repo = await createRepo({ name: 'counted' });
  for (const name of ['one', 'two']) await repo.addWorktree(name);
  home = await createTempDir('ravi-daemon-passes-');
  const credentials = join(home, 'ravi.json');
  await writeFile(credentials, JSON.stringify({ management_key: server.managementKey }), { mode: 0o600 });
  await writeFile(
    join(repo.path, 'ravi-orchestrator.config.json'),
    JSON.stringify({ provider: { kind: 'ravi', apiUrl: server.url, credentialsFile: credentials }, orphans: { grace: 0 }, env: { vars: { AGENT_EMAIL: '{email}', AGENT_BRANCH: '{branch}' } } }),
  );
  daemon = startDaemonProcess({ cwd: repo.path, home, args: ['--log-level', 'debug'], env: { RAVI_ORCHESTRATOR_DEBOUNCE_MS: String(DEBOUNCE_MS) } });
  await waitFor(() => server.identities().length === 2, 'the existing worktrees to be provisioned');
  await waitFor(() => settledAfter(0), 'the start-up passes');
  startupListings = listings();
});

afterAll(async () => {
  if (process.env.DUMP) for (const f of await readdir(join(home, "state", "logs"))) console.log(await readFile(join(home, "state", "logs", f), "utf8"));
  await killAllDaemons();
  await server?.close();
  await cleanupTempDirs();
});

describe('daemon work per event', () => {
  it('start-up costs one pass and one identity listing', () => {
    expect(startupListings).toBe(1);
  });

  // One run: a focused pass serves the new worktree (src/reconcile/focus-pass.ts), then the full pass reads the
  // whole truth again, the identities included: two listings, the second after the .env is written.
  it('git worktree add costs one run and two identity listings (the focused pass, then the full pass)', async () => {
    let worktree = '';
    const spent = await cost(
      async () => (worktree = await repo.addWorktree('added')),
      async () => (await emailOf(worktree)) !== undefined && server.identities().length === 3,
      'the new worktree to be provisioned',
    );
    expect(spent).toEqual({ passes: 1, listings: 2 });
  });

  it('git worktree remove (grace 0) costs one pass and one identity listing to end the lease', async () => {
    const since = Date.now();
    const worktree = await repo.addWorktree('removed');
    await waitFor(async () => (await emailOf(worktree)) !== undefined, 'the worktree to be provisioned');
    await waitFor(() => settledAfter(since), 'the daemon to settle');
    const spent = await cost(
      () => repo.removeWorktree(worktree, { force: true }),
      async () => (await Ledger.open(join(home, 'state'), `ravi:${new URL(server.url).origin}`)).identities().some((i) => i.lease === null),
      'the lease to end',
    );
    expect(spent).toEqual({ passes: 1, listings: 1 });
  });

  it('an edit of the managed block costs one pass (its repair, written back, does not cost another)', async () => {
    const worktree = join(repo.root, 'counted-worktrees', 'one');
    const email = (await emailOf(worktree)) as string;
    const text = await readFile(join(worktree, '.env'), 'utf8');
    const since = Date.now();
    const spent = await cost(
      () => writeFile(join(worktree, '.env'), text.replace(email, 'hacked@example.com')),
      async () => (await emailOf(worktree)) === email && (await echoHandled(since)),
      'the block to be repaired, and the repair\'s own event handled',
    );
    expect(spent).toEqual({ passes: 1, listings: 1 });
  });

  it('a branch switch costs one pass (the env file it rewrites does not cost another)', async () => {
    const worktree = join(repo.root, 'counted-worktrees', 'two');
    const since = Date.now();
    const spent = await cost(
      () => repo.git('-C', worktree, 'switch', '-q', '-c', 'switched'),
      async () => parse(await readFile(join(worktree, '.env'), 'utf8')).AGENT_BRANCH === 'switched' && (await echoHandled(since)),
      'the branch switch to reach the env file, and the write\'s own event handled',
    );
    expect(spent).toEqual({ passes: 1, listings: 1 });
  });

  it('stops cleanly', async () => {
    expect(await daemon.stop()).toBe(0);
  });
});
