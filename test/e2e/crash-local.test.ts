/**
 * kill -9 during a cold pass with the local provider, whose creates share their appends (group commit): wherever
 * the process dies, the next pass loses no worktree and leaks no identity (every identity in the provider's store
 * is one the ledger holds, one per worktree), and each .env names its own.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { cleanupTempDirs, createRepo, createTempDir } from '../support/git-fixtures.js';
import { CLI_PATH, isolatedEnv, runBuiltCli } from '../support/cli.js';
import { readLocalIdentities } from '../support/local-identities.js';
import { Ledger } from '../../src/files/ledger.js';

afterAll(cleanupTempDirs);

const WORKTREES = 12;

/** Identities the local store holds on disk now (snapshot and journal lines), tolerating a write under way. */
async function identitiesOnDisk(stateDir: string): Promise<number> {
  const folder = join(stateDir, 'local');
  const names = await readdir(folder).catch(() => [] as string[]);
  let count = 0;
  for (const name of names) {
    if (!name.startsWith('identities.json')) continue;
    const text = await readFile(join(folder, name), 'utf8').catch(() => '');
    count += name.includes('.journal-') ? (text.match(/"op":"put"/g) ?? []).length : (text.match(/"uuid"/g) ?? []).length;
  }
  return count;
}

async function waitFor(predicate: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('kill -9 in the middle of a local cold pass', () => {
  it('never loses a worktree or leaks an identity, whatever moment the process dies', async () => {
    const repo = await createRepo({ name: 'crash-local' });
    const worktrees: string[] = [];
    for (let i = 0; i < WORKTREES; i += 1) worktrees.push(await repo.addWorktree(`wt-${i}`));
    await writeFile(join(repo.path, 'ravi-orchestrator.config.json'), JSON.stringify({ provider: { kind: 'local' }, orphans: { grace: 0 } }));
    const home = await createTempDir('ravi-crash-local-');
    const stateDir = join(home, 'state');

    // Killed once the store holds a growing number of identities, so the crash lands inside different batches.
    for (const afterCreates of [1, 4, 9]) {
      const child = execa(process.execPath, [CLI_PATH, 'reconcile'], { cwd: repo.path, env: isolatedEnv(home), extendEnv: false, reject: false });
      await Promise.race([waitFor(async () => (await identitiesOnDisk(stateDir)) >= afterCreates), child]);
      child.kill('SIGKILL');
      await child;
    }
    const final = await runBuiltCli(['reconcile', '--json'], { cwd: repo.path, home });
    expect(JSON.parse(final.stdout)).toMatchObject({ ok: true });

    const identities = await readLocalIdentities(stateDir);
    const ledger = await Ledger.open(stateDir, 'local');
    expect(identities).toHaveLength(WORKTREES);
    expect(ledger.identities().map((i) => i.uuid).sort()).toEqual(identities.map((i) => i.uuid).sort());
    const emails = await Promise.all(worktrees.map(async (w) => parse(await readFile(join(w, '.env'), 'utf8')).AGENT_EMAIL));
    expect(new Set(emails).size).toBe(WORKTREES);
    for (const email of emails) expect(identities.filter((i) => i.email === email)).toHaveLength(1);
    expect((await runBuiltCli(['plan'], { cwd: repo.path, home })).exitCode).toBe(0);
  }, 120_000); // five CLI processes on a loaded 2-core machine
});
