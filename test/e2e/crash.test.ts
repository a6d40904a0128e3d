import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { cleanupTempDirs, createRepo, createTempDir, gitEnv } from '../support/git-fixtures.js';
import type { FakeRaviServer } from '../support/fake-ravi-server.js';
import { fakeRaviPerTest } from '../support/fake-ravi-per-test.js';
import { CLI_PATH, runBuiltCli } from '../support/cli.js';

afterAll(cleanupTempDirs);

let server: FakeRaviServer;
fakeRaviPerTest((started) => (server = started), { latencyMs: 5 });

/** Resolves once `predicate` holds, polling; fails after `timeoutMs` (a bound, not a timing assertion). */
async function waitFor(predicate: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('kill -9 in the middle of a reconcile', () => {
  it('never duplicates or leaks an identity, whatever moment the process dies', async () => {
    const repo = await createRepo({ name: 'crash' });
    const worktrees: string[] = [];
    for (let i = 0; i < 8; i += 1) worktrees.push(await repo.addWorktree(`wt-${i}`));
    const foreign = server.addIdentity({ name: 'ws-crash-wt-0' }); // same name as ours would be: must stay untouched
    const home = await createTempDir('ravi-crash-home-');
    const credentials = join(home, 'ravi.json');
    await writeFile(credentials, JSON.stringify({ management_key: server.managementKey }), { mode: 0o600 });
    await writeFile(
      join(repo.path, 'ravi-orchestrator.config.json'),
      JSON.stringify({ provider: { kind: 'ravi', apiUrl: server.url, credentialsFile: credentials }, orphans: { grace: 0 } }),
    );
    const env = { PATH: process.env.PATH ?? '', HOME: home, RAVI_ORCHESTRATOR_STATE_DIR: join(home, 'state'), ...gitEnv };

    // Kill after the server has handled a growing number of creates, so the crash lands at different points.
    for (const afterCreates of [1, 3, 6]) {
      const before = server.identities().length;
      const child = execa(process.execPath, [CLI_PATH, 'reconcile'], { cwd: repo.path, env, extendEnv: false, reject: false });
      await Promise.race([waitFor(() => server.identities().length >= before + afterCreates), child]);
      child.kill('SIGKILL');
      await child;
    }
    const final = await runBuiltCli(['reconcile', '--json'], { cwd: repo.path, home });
    expect(JSON.parse(final.stdout)).toMatchObject({ ok: true });

    const identities = server.identities();
    const ours = identities.filter((i) => i.uuid !== foreign.uuid);
    expect(identities.map((i) => i.uuid)).toContain(foreign.uuid);
    expect(ours).toHaveLength(worktrees.length);
    const emails = await Promise.all(worktrees.map(async (w) => parse(await readFile(join(w, '.env'), 'utf8')).AGENT_EMAIL));
    expect(new Set(emails).size).toBe(worktrees.length);
    for (const email of emails) expect(ours.filter((i) => i.inbox === email)).toHaveLength(1);
    const again = await runBuiltCli(['plan'], { cwd: repo.path, home });
    expect(again.exitCode).toBe(0);
  }, 120_000); // five CLI processes and eight worktrees: well past 30 s on a loaded 2-core machine
});
