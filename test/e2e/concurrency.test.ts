import { afterAll, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { cleanupTempDirs, createRepo, createTempDir } from '../support/git-fixtures.js';
import { killAllDaemons, readJsonFile, startDaemonProcess, waitFor } from '../support/daemon-process.js';
import { runBuiltCli } from '../support/cli.js';
import { readLocalIdentities } from '../support/local-identities.js';
import { Ledger } from '../../src/files/ledger.js';

afterAll(async () => {
  await killAllDaemons();
  await cleanupTempDirs();
});

describe('one-shot reconciles and the daemon at once', () => {
  it('three CLI reconciles racing the daemon through worktree churn end with one identity per worktree', async () => {
    const repo = await createRepo({ name: 'race' });
    const home = await createTempDir('ravi-race-');
    await writeFile(join(repo.path, 'ravi-orchestrator.config.json'), JSON.stringify({ orphans: { grace: 0 }, mail: { enabled: false } }));
    const live: string[] = [];
    for (let i = 0; i < 8; i += 1) live.push(await repo.addWorktree(`base-${i}`));
    const daemon = startDaemonProcess({ cwd: repo.path, home });
    await waitFor(async () => (await readJsonFile<{ state: string }>(join(home, 'state', 'daemon-status.json')))?.state === 'running', 'the daemon');

    for (let round = 0; round < 3; round += 1) {
      const gone = live.splice(0, 2);
      for (const path of gone) await repo.removeWorktree(path, { force: true });
      for (let i = 0; i < 2; i += 1) live.push(await repo.addWorktree(`round-${round}-${i}`));
      const runs = await Promise.all([0, 1, 2].map(() => runBuiltCli(['reconcile'], { cwd: repo.path, home })));
      expect(runs.map((r) => r.exitCode)).toEqual([0, 0, 0]);
    }
    const leases = async () => (await Ledger.open(join(home, 'state'), 'local')).identities().filter((i) => i.lease !== null);
    await waitFor(async () => (await leases()).length === live.length, 'the daemon and the CLIs to agree');
    const identities = await readLocalIdentities(join(home, 'state'));
    expect(new Set(identities.map((i) => i.name)).size).toBe(identities.length);
    // One lease per live worktree, never one identity for two.
    expect(new Set((await leases()).map((i) => i.lease?.worktreePath))).toEqual(new Set(live));
    for (const path of live) {
      const email = parse(await readFile(join(path, '.env'), 'utf8')).AGENT_EMAIL;
      expect(identities.filter((i) => i.email === email)).toHaveLength(1);
      expect((await leases()).find((i) => i.email === email)?.lease?.worktreePath).toBe(path);
    }
    expect(await daemon.stop()).toBe(0);
  });
});
