/**
 * Cursor's worktree setup as Cursor runs it (https://cursor.com/docs/configuration/worktrees): the worktree is
 * created under ~/.cursor/worktrees/<repo>/<id>; `.cursor/worktrees.json` is read from the worktree (else the
 * project root); `setup-worktree-unix`, else `setup-worktree`, runs its commands one after another in the
 * worktree, each through the shell, with ROOT_WORKTREE_PATH set; a failing command stops the rest. Cursor has no
 * teardown hook: it removes old worktrees itself, and the daemon's pass releases their identities.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupTempDirs } from '../../support/git-fixtures.js';
import { commitAll, expectProvisioned, expectReleased, runHook, toolWorld } from './harness.js';

afterAll(cleanupTempDirs);

describe('init --cursor with setup run as Cursor runs it', () => {
  it('provisions each new worktree; after Cursor removes it, the next pass releases the identity', async () => {
    const world = await toolWorld('cursorapp');
    const { repo } = world;
    await repo.commitFile('.gitignore', '.team-setup\n');
    await repo.commitFile('.cursor/worktrees.json', `${JSON.stringify({ 'setup-worktree-unix': ['touch .team-setup'] }, null, 2)}\n`);
    // No grace period, so the pass after the removal releases at once (the daemon runs the same pass).
    await repo.commitFile('ravi-orchestrator.config.json', '{"orphans": {"grace": 0}}\n');
    expect((await world.cli(['init', '--cursor'], repo.path)).exitCode).toBe(0);
    await commitAll(repo, 'cursor setup');

    const worktree = await repo.addWorktree('abc1', { path: join(world.home, '.cursor', 'worktrees', 'cursorapp', 'abc1'), detach: true });
    const config = JSON.parse(await readFile(join(worktree, '.cursor', 'worktrees.json'), 'utf8')) as Record<string, string[]>;
    const commands = config['setup-worktree-unix'] ?? config['setup-worktree'] ?? [];
    expect(commands[0]).toBe('touch .team-setup');
    for (const command of commands) {
      const run = await runHook(['bash', '-c'], command, { cwd: worktree, env: { ...world.env, ROOT_WORKTREE_PATH: repo.path } });
      expect(run.exitCode, run.stderr).toBe(0);
    }
    const email = await expectProvisioned(world, worktree);

    await repo.removeWorktree(worktree, { force: true }); // Cursor's own cleanup
    const pass = await world.cli(['reconcile'], repo.path);
    expect(pass.exitCode, pass.stderr).toBe(0);
    await expectReleased(world, worktree, email);
  }, 180_000);
});
