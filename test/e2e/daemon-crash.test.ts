import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { cleanupTempDirs, createRepo, createTempDir } from '../support/git-fixtures.js';
import { startFakeRaviServer, type FakeRaviServer } from '../support/fake-ravi-server.js';
import { killAllDaemons, readJsonFile, startDaemonProcess, waitFor } from '../support/daemon-process.js';
import { Ledger } from '../../src/files/ledger.js';

afterAll(async () => {
  await killAllDaemons();
  await cleanupTempDirs();
});

let server: FakeRaviServer;
beforeEach(async () => {
  // Deletion allowed here only to play an identity deleted in Ravi's web UI (drift the resync must heal).
  server = await startFakeRaviServer({ latencyMs: 10, allowIdentityDelete: true });
});
afterEach(async () => {
  await server.close();
});

describe('daemon crash and restart', () => {
  it('kill -9 mid-pass, restart: the stale pid file is taken over, no identity is duplicated or leaked', async () => {
    const repo = await createRepo({ name: 'phoenix' });
    const worktrees: string[] = [];
    for (let i = 0; i < 6; i += 1) worktrees.push(await repo.addWorktree(`wt-${i}`));
    const home = await createTempDir('ravi-daemon-crash-');
    const credentials = join(home, 'ravi.json');
    await writeFile(credentials, JSON.stringify({ management_key: server.managementKey }), { mode: 0o600 });
    await writeFile(join(repo.path, 'ravi-orchestrator.config.json'), JSON.stringify({ provider: { kind: 'ravi', apiUrl: server.url, credentialsFile: credentials }, orphans: { grace: 0 } }));

    const first = startDaemonProcess({ cwd: repo.path, home });
    await waitFor(() => server.identities().length >= 2, 'the first creates');
    await first.kill9();
    const pidFile = await readJsonFile<{ pid: number }>(join(home, 'state', 'daemon.pid'));
    expect(pidFile?.pid).toBe(first.pid); // left behind by the killed process

    const second = startDaemonProcess({ cwd: repo.path, home, env: { RAVI_ORCHESTRATOR_RESYNC_MS: '400' } });
    const emails = await waitFor(async () => {
      const all = await Promise.all(worktrees.map(async (w) => parse(await readFile(join(w, '.env'), 'utf8').catch(() => '')).AGENT_EMAIL));
      return all.every((e) => e !== undefined) ? all : null;
    }, 'every worktree to be provisioned after the restart');
    expect(server.identities()).toHaveLength(worktrees.length);
    expect(new Set(emails).size).toBe(worktrees.length);
    await repo.removeWorktree(worktrees[0] as string, { force: true });
    const ledger = () => Ledger.open(join(home, 'state'), `ravi:${new URL(server.url).origin}`);
    await waitFor(async () => (await ledger()).identities().filter((i) => i.lease === null).length === 1, 'the removed worktree\'s lease to end');
    expect(server.identities()).toHaveLength(worktrees.length); // kept in the pool, never deleted

    // Drift no event reports: an identity deleted in Ravi's web UI is replaced on the periodic resync.
    const live = worktrees.slice(1);
    const victim = (await ledger()).leaseOf(`${repo.commonDir}::wt-1`);
    await fetch(`${server.url}/api/identities/${victim?.uuid}/`, { method: 'DELETE', headers: { authorization: `Bearer ${server.managementKey}` } });
    await waitFor(async () => {
      const held = (await ledger()).identities().filter((i) => i.lease !== null);
      return held.length === live.length && !held.some((i) => i.uuid === victim?.uuid) && held.every((i) => server.identities().some((s) => s.uuid === i.uuid));
    }, 'the resync to replace it');
    expect(await second.stop()).toBe(0);
  });
});
