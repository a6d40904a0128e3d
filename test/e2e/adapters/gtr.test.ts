/**
 * git-worktree-runner's hooks as `git gtr` runs them (coderabbitai/git-worktree-runner at c319233: lib/hooks.sh,
 * lib/commands/{create,remove}.sh): `git gtr new feat` makes <repo>-worktrees/feat; the hooks are the values of
 * `git config --get-all gtr.hook.postCreate` (the user's own, no trust needed) and, once trusted,
 * `git config -f .gtrconfig --get-all hooks.postCreate`; each is `eval`ed by bash in a subshell in the worktree,
 * stdin from /dev/null, with REPO_ROOT, WORKTREE_PATH and BRANCH exported. `git gtr rm` runs preRemove the same
 * way before removing (a failure aborts the removal). No time limit.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupTempDirs, gitEnv } from '../../support/git-fixtures.js';
import { commitAll, expectProvisioned, expectReleased, runHook, toolWorld, type ToolWorld } from './harness.js';

afterAll(cleanupTempDirs);

async function hooks(world: ToolWorld, phase: string): Promise<string[]> {
  const git = async (args: string[]): Promise<string[]> => {
    const result = await execa('git', ['-C', world.repo.path, 'config', ...args], { env: gitEnv, reject: false });
    return result.stdout === '' ? [] : result.stdout.split('\n');
  };
  return [...(await git(['--get-all', `gtr.hook.${phase}`])), ...(await git(['-f', join(world.repo.path, '.gtrconfig'), '--get-all', `hooks.${phase}`]))];
}

/** gtr's run_hooks: every hook, `eval` in a bash subshell with the variables exported; any failure fails the phase. */
async function runPhase(world: ToolWorld, phase: string, worktree: string, branch: string): Promise<boolean> {
  let ok = true;
  for (const hook of await hooks(world, phase)) {
    const env = { ...world.env, REPO_ROOT: world.repo.path, WORKTREE_PATH: worktree, BRANCH: branch, HOOK: hook };
    const run = await runHook(['bash', '-c'], '( export REPO_ROOT WORKTREE_PATH BRANCH; eval "$HOOK" ) </dev/null', { cwd: worktree, env });
    if (run.exitCode !== 0) ok = false;
  }
  return ok;
}

describe('init --gtr with hooks run as git gtr runs them', () => {
  for (const local of [false, true]) {
    it(`${local ? 'git config --local gtr.hook.*' : '.gtrconfig'}: postCreate provisions, preRemove releases`, async () => {
      const world = await toolWorld(local ? 'gtrlocal' : 'gtrapp');
      const { repo } = world;
      await repo.commitFile('.gitignore', '.team-setup\n');
      await repo.commitFile('.gtrconfig', '# team config\n[copy]\n\tinclude = **/.env.example\n[hooks]\n\tpostCreate = echo \\"$BRANCH\\" > .team-setup\n');
      const init = await world.cli(['init', '--gtr', ...(local ? ['--local'] : [])], repo.path);
      expect(init.exitCode, init.stderr).toBe(0);
      await commitAll(repo, 'gtr hooks');

      const worktree = await repo.addWorktree('feat', { path: join(repo.root, `${repo.path.split('/').pop()}-worktrees`, 'feat') });
      expect(await runPhase(world, 'postCreate', worktree, 'feat')).toBe(true);
      expect(existsSync(join(worktree, '.team-setup'))).toBe(true);
      const email = await expectProvisioned(world, worktree);

      expect(await runPhase(world, 'preRemove', worktree, 'feat')).toBe(true);
      await expectReleased(world, worktree, email);
      await repo.removeWorktree(worktree, { force: true });
    }, 180_000);
  }
});
