/**
 * kill -9 while `reconcile` rewrites a .env (issue 13, finding 2). The temp file of an interrupted write sits
 * next to the .env, holding the complete new content (secrets included). It must never show in `git status`
 * (an agent's `git add -A` would commit it), must not stop `git worktree remove` without --force, and the next
 * pass must remove it; the .env itself stays whole (the old bytes or the new, never a mix).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execa, type ResultPromise } from 'execa';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { cleanupTempDirs, createRepo, createTempDir, type TestRepo } from '../support/git-fixtures.js';
import { CLI_PATH, isolatedEnv, runBuiltCli } from '../support/cli.js';

afterAll(cleanupTempDirs);

const PAUSE = 'RAVI_ORCHESTRATOR_TEST_PAUSE_BEFORE_RENAME'; // see src/files/atomic-write.ts

/** Everything in a worktree folder that is not ours to expect there: the write's leftovers. */
async function leftovers(worktree: string): Promise<string[]> {
  return (await readdir(worktree)).filter((name) => name.startsWith('.env.')).sort();
}

async function setup(worktreeNames: readonly string[], userText: string) {
  const repo = await createRepo({ name: 'kill' });
  const home = await createTempDir('ravi-kill-home-');
  const worktrees: string[] = [];
  for (const name of worktreeNames) {
    const path = await repo.addWorktree(name);
    await writeFile(join(path, '.env'), userText);
    worktrees.push(path);
  }
  const configure = (vars: Record<string, string>) =>
    writeFile(join(repo.path, 'ravi-orchestrator.config.json'), JSON.stringify({ env: { vars }, concurrency: 4 }));
  await configure({ AGENT_EMAIL: '{email}' });
  const first = await runBuiltCli(['reconcile'], { cwd: repo.path, home });
  expect(first.exitCode, first.stderr).toBe(0);
  return { repo, home, worktrees, configure };
}

function startReconcile(repo: TestRepo, home: string, extra: Record<string, string> = {}): ResultPromise {
  return execa(process.execPath, [CLI_PATH, 'reconcile'], { cwd: repo.path, env: isolatedEnv(home, extra), extendEnv: false, reject: false, stdin: 'ignore' });
}

/** Resolves once `predicate` holds, polling; fails after `timeoutMs` (a bound, not a timing assertion). */
async function waitFor(predicate: () => Promise<boolean> | boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const unignored = (repo: TestRepo, worktree: string) => repo.git('-C', worktree, 'status', '--porcelain', '--ignored=no', '--untracked-files=all');

describe('kill -9 in the middle of a .env write', () => {
  it('leaves only an ignored temp file, which blocks no worktree removal and the next pass removes', async () => {
    const user = "# mine\nexport DATABASE_URL='postgres://keep'\n";
    const { repo, home, worktrees, configure } = await setup(['a', 'b'], user);
    const [a, b] = worktrees as [string, string];
    const before = await readFile(join(a, '.env'));

    // A pending change for both worktrees; the writer stops with its temp file complete, and is killed there.
    await configure({ AGENT_EMAIL: '{email}', AGENT_BRANCH: '{branch}' });
    const child = startReconcile(repo, home, { [PAUSE]: '.env' });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await waitFor(() => (stderr.match(/paused before rename/g) ?? []).length === 2 || child.exitCode !== null, 'both writers to pause');
    child.kill('SIGKILL');
    await child;
    expect(stderr.match(/paused before rename/g), stderr).toHaveLength(2);

    for (const worktree of worktrees) {
      const [temp, ...more] = await leftovers(worktree);
      expect(more).toEqual([]);
      expect(temp).toMatch(/^\.env\.\d+-[0-9a-f]{8}\.ravi-tmp$/);
      expect(parse(await readFile(join(worktree, temp!))).AGENT_BRANCH).toBe(worktree === a ? 'a' : 'b'); // the whole new file
      expect(await unignored(repo, worktree)).toBe('');
    }
    expect(await readFile(join(a, '.env'))).toEqual(before); // the old file, untouched

    await repo.removeWorktree(b); // no --force: the leftover is ignored, so git calls the worktree clean

    const next = await runBuiltCli(['reconcile'], { cwd: repo.path, home });
    expect(next.exitCode, next.stderr + next.stdout).toBe(0);
    expect(await leftovers(a)).toEqual([]);
    const env = await readFile(join(a, '.env'), 'utf8');
    expect(env.startsWith(user)).toBe(true);
    expect(parse(env).AGENT_BRANCH).toBe('a');
  }, 300_000);

  it('keeps every invariant when killed at random moments during the writes of a large .env', async () => {
    // 4 MB of user lines make each write long enough for the kill to land inside it.
    const user = `# mine\n${Array.from({ length: 40_000 }, (_, i) => `USER_${i}=value-${i}-${'x'.repeat(80)}`).join('\n')}\n`;
    const { repo, home, worktrees, configure } = await setup(['big'], user);
    const [big] = worktrees as [string];
    let killedMidWrite = 0;
    for (let round = 0; round < 30 && killedMidWrite < 3; round += 1) {
      await configure({ AGENT_EMAIL: '{email}', ROUND: `round-${round}` });
      const child = startReconcile(repo, home);
      await waitFor(async () => child.exitCode !== null || (await leftovers(big)).length > 0, 'a temp file or the end of the pass');
      // A little later still, at a random point of the write (or past it: then the rename is complete).
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 4)));
      child.kill('SIGKILL');
      await child;
      if ((await leftovers(big)).length > 0) killedMidWrite += 1;

      const env = await readFile(join(big, '.env'), 'utf8');
      expect(env.startsWith(user)).toBe(true); // whole: every user byte, then one whole block
      expect(parse(env).ROUND ?? '').toMatch(/^(round-\d+)?$/);
      expect(parse(env).AGENT_EMAIL).toMatch(/@/);
      expect(await unignored(repo, big)).toBe('');
    }
    expect(killedMidWrite).toBeGreaterThan(0);

    const next = await runBuiltCli(['reconcile'], { cwd: repo.path, home });
    expect(next.exitCode, next.stderr + next.stdout).toBe(0);
    expect(await leftovers(big)).toEqual([]);
    await repo.removeWorktree(big);
  }, 300_000);
});
