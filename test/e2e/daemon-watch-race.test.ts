/**
 * Regression: a change made after a pass read (or wrote) a worktree's files but before their watch became
 * ready sends no event, and must not wait for the periodic resync (5 min). The daemon compares the newly
 * watched paths with what the pass saw or left once the watch is ready.
 *
 * Made deterministic with the fake Ravi server: the daemon's first pass creates two identities; the first
 * create request is held, so the pass is stuck in apply (after observe read every file, after the other
 * worktree's files were written, before any watch exists) while the test changes files.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { cleanupTempDirs, createRepo, createTempDir } from '../support/git-fixtures.js';
import { startFakeRaviServer } from '../support/fake-ravi-server.js';
import { killAllDaemons, readJsonFile, startDaemonProcess, waitFor } from '../support/daemon-process.js';
import { runBuiltCli } from '../support/cli.js';
import { Ledger } from '../../src/files/ledger.js';

afterAll(async () => {
  await killAllDaemons();
  await cleanupTempDirs();
});

const emailOf = async (worktree: string) => parse(await readFile(join(worktree, '.env'), 'utf8').catch(() => '')).AGENT_EMAIL;

async function breakEmail(worktree: string): Promise<string> {
  const email = (await emailOf(worktree)) as string;
  const text = await readFile(join(worktree, '.env'), 'utf8');
  await writeFile(join(worktree, '.env'), text.replace(email, 'hacked@example.com'));
  return email;
}

describe('changes before the watch is ready', () => {
  it('an env file read or written by the pass, or a worktree folder it saw, changed before its watch was ready, is looked at again', async () => {
    const server = await startFakeRaviServer();
    try {
      const repo = await createRepo({ name: 'race' });
      const home = await createTempDir('ravi-daemon-race-');
      const credentials = join(home, 'ravi.json');
      await writeFile(credentials, JSON.stringify({ management_key: server.managementKey }), { mode: 0o600 });
      await writeFile(
        join(repo.path, 'ravi-orchestrator.config.json'),
        JSON.stringify({ provider: { kind: 'ravi', apiUrl: server.url, credentialsFile: credentials }, orphans: { grace: 0 }, env: { vars: { AGENT_EMAIL: '{email}' } } }),
      );
      // Provisioned before the daemon starts: its first pass only reads these.
      const [read, doomed] = [await repo.addWorktree('read'), await repo.addWorktree('doomed')];
      const oneShot = await runBuiltCli(['reconcile'], { cwd: repo.path, home });
      expect(oneShot.exitCode, oneShot.stdout + oneShot.stderr).toBe(0);
      const doomedEmail = (await emailOf(doomed)) as string;
      // New: the first pass creates their identities, the first create being held.
      const fresh = [await repo.addWorktree('fresh-1'), await repo.addWorktree('fresh-2')];
      server.failNext(1, { delayMs: 4_000 }, { method: 'POST', pathPrefix: '/api/identities/' });

      const daemon = startDaemonProcess({ cwd: repo.path, home });
      // The create that was not held has gone through, and its worktree's files are written.
      const written = await waitFor(async () => {
        for (const worktree of fresh) if ((await emailOf(worktree)) !== undefined) return worktree;
        return null;
      }, 'one new worktree to be provisioned while the other create is held');
      const readEmail = await breakEmail(read);
      const writtenEmail = await breakEmail(written);
      await rm(doomed, { recursive: true, force: true });
      // All three changes landed while the first pass was still running, so before any watch existed (and
      // the status says that the pass is running, not that the daemon is idle).
      const status = await readJsonFile<{ queue: { running: string[] }; repos: Array<{ lastPass: unknown }> }>(join(home, 'state', 'daemon-status.json'));
      expect(status?.repos.every((r) => r.lastPass === null) ?? true).toBe(true);
      expect(status?.queue.running).toEqual([repo.path]);

      await waitFor(async () => (await emailOf(read)) === readEmail, 'the edit of a file the pass read to be repaired');
      await waitFor(async () => (await emailOf(written)) === writtenEmail, 'the edit of a file the pass wrote to be repaired');
      const ledger = () => Ledger.open(join(home, 'state'), `ravi:${new URL(server.url).origin}`);
      await waitFor(async () => (await ledger()).identities().some((i) => i.email === doomedEmail && i.lease === null), 'the lease of the deleted folder to end');
      expect(server.identities()).toHaveLength(4); // kept in the pool: Ravi identities are permanent
      expect(await daemon.stop()).toBe(0);
    } finally {
      await server.close();
    }
  });
});
