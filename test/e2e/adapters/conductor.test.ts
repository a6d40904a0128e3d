/**
 * Conductor's scripts as Conductor runs them (https://www.conductor.build/docs/reference/scripts, /shells): the
 * workspace is a worktree under ~/conductor/workspaces/<repo>/<name>; the repository's .conductor/settings.toml
 * (as checked out in it) gives `[scripts] setup` and `archive`, each run with zsh from the workspace directory,
 * with CONDUCTOR_WORKSPACE_NAME / _PATH, CONDUCTOR_ROOT_PATH, CONDUCTOR_DEFAULT_BRANCH, CONDUCTOR_PORT and
 * CONDUCTOR_IS_LOCAL set. No time limit is documented.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { parse } from 'smol-toml';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupTempDirs } from '../../support/git-fixtures.js';
import { commitAll, expectProvisioned, expectReleased, runHook, toolWorld } from './harness.js';

afterAll(cleanupTempDirs);

// Conductor runs its scripts with zsh. A machine without it skips this file; CI installs zsh (.ci/run) and never skips.
const hasZsh = (await execa('sh', ['-c', 'command -v zsh'], { reject: false })).exitCode === 0;

describe.skipIf(!hasZsh && process.env.CI === undefined)('init --conductor with the scripts run as Conductor runs them', () => {
  it('setup keeps the team step and provisions the workspace; archive releases it', async () => {
    const world = await toolWorld('condapp');
    const { repo } = world;
    await repo.commitFile('.gitignore', '.team-setup\n');
    await repo.commitFile('.conductor/settings.toml', [
      '"$schema" = "https://conductor.build/schemas/settings.repo.schema.json"',
      '# the team\'s own steps',
      '[scripts]',
      'setup = "echo \\"$CONDUCTOR_WORKSPACE_NAME\\" > .team-setup"',
      'run = "npm run dev -- --port $CONDUCTOR_PORT" # dev server',
      '',
    ].join('\n'));
    const init = await world.cli(['init', '--conductor'], repo.path);
    expect(init.exitCode, init.stderr).toBe(0);
    await commitAll(repo, 'conductor scripts');

    const workspace = await repo.addWorktree('tokyo', { path: join(world.home, 'conductor', 'workspaces', 'condapp', 'tokyo') });
    const settings = parse(await readFile(join(workspace, '.conductor', 'settings.toml'), 'utf8')) as { scripts: { setup: string; archive: string; run: string } };
    expect(settings.scripts.run).toBe('npm run dev -- --port $CONDUCTOR_PORT');
    const env = {
      ...world.env, CONDUCTOR_WORKSPACE_NAME: 'tokyo', CONDUCTOR_WORKSPACE_PATH: workspace, CONDUCTOR_ROOT_PATH: repo.path,
      CONDUCTOR_DEFAULT_BRANCH: 'main', CONDUCTOR_PORT: '55100', CONDUCTOR_IS_LOCAL: '1',
    };
    const setup = await runHook(['zsh', '-c'], settings.scripts.setup, { cwd: workspace, env });
    expect(setup.exitCode, setup.stderr).toBe(0);
    expect(await readFile(join(workspace, '.team-setup'), 'utf8')).toBe('tokyo\n');
    const email = await expectProvisioned(world, workspace);

    const archive = await runHook(['zsh', '-c'], settings.scripts.archive, { cwd: workspace, env });
    expect(archive.exitCode, archive.stderr).toBe(0);
    await expectReleased(world, workspace, email);
    await repo.removeWorktree(workspace, { force: true }); // then Conductor deletes the workspace
    expect(existsSync(workspace)).toBe(false);
    await expectReleased(world, workspace, email);
  }, 180_000);
});
