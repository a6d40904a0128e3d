import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { chmod, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { cleanupTempDirs, createRepo, createTempDir, gitEnv } from '../support/git-fixtures.js';
import { CLI_PATH, runBuiltCli } from '../support/cli.js';
import { readLocalIdentities } from '../support/local-identities.js';

afterAll(cleanupTempDirs);

describe('the Superset preset with the real CLI', () => {
  it('setup.sh provisions a new workspace, teardown.sh releases it, and re-running init changes nothing', async () => {
    const repo = await createRepo({ name: 'superapp' });
    const home = await createTempDir('ravi-superset-home-');
    const bin = await createTempDir('ravi-superset-bin-');
    // What `npm install -g` puts on PATH: a `ravi-orchestrator` that runs the built CLI.
    await writeFile(join(bin, 'ravi-orchestrator'), `#!/usr/bin/env bash\nexec "${process.execPath}" "${CLI_PATH}" "$@"\n`);
    await chmod(join(bin, 'ravi-orchestrator'), 0o755);
    const env = { PATH: `${bin}:${process.env.PATH ?? ''}`, HOME: home, RAVI_ORCHESTRATOR_STATE_DIR: join(home, 'state'), ...gitEnv };

    const init = await runBuiltCli(['init', '--superset'], { cwd: repo.path, home });
    expect(init.exitCode).toBe(0);
    const config = JSON.parse(await readFile(join(repo.path, '.superset', 'config.json'), 'utf8')) as { setup: string[]; teardown: string[] };
    expect(Array.isArray(config.setup) && Array.isArray(config.teardown)).toBe(true);
    await repo.git('add', '.superset');
    await repo.git('commit', '-q', '-m', 'superset preset');
    const again = await runBuiltCli(['init', '--superset', '--json'], { cwd: repo.path, home });
    expect(JSON.parse(again.stdout)).toMatchObject({ written: [] });

    // Superset: create the workspace, then run the setup list joined with && from the worktree.
    const workspace = await repo.addWorktree('feature/checkout');
    const setup = await execa('bash', ['-c', config.setup.join(' && ')], { cwd: workspace, env, extendEnv: false, reject: false });
    expect(setup.exitCode, setup.stderr).toBe(0);
    const email = parse(await readFile(join(workspace, '.env'), 'utf8')).AGENT_EMAIL;
    expect(email).toMatch(/@agents\.localhost$/);
    const identities = async () => readLocalIdentities(join(home, 'state'));
    expect((await identities()).map((i) => i.email)).toEqual([email]);
    expect(await repo.git('-C', workspace, 'status', '--porcelain', '--untracked-files=all')).toBe('');

    const teardown = await execa('bash', ['-c', config.teardown.join(' && ')], { cwd: workspace, env, extendEnv: false, reject: false });
    expect(teardown.exitCode).toBe(0);
    // The identity is not deleted: its lease ended and it rests in the pool for the next workspace.
    expect((await identities()).map((i) => i.email)).toEqual([email]);
    await repo.removeWorktree(workspace, { force: true });
    const status = await runBuiltCli(['status', '--json'], { cwd: repo.path, home });
    const fleet = JSON.parse(status.stdout) as { worktrees: Array<{ env: string }>; pool: Array<{ email: string; state: string }> };
    expect(fleet.worktrees.filter((w) => w.env === 'orphan')).toEqual([]);
    expect(fleet.pool).toEqual([expect.objectContaining({ email, state: 'quarantine' })]);
  });

  it('with no CLI on PATH, setup and teardown run the project-local install, and never npx or npm', async () => {
    const repo = await createRepo({ name: 'localapp' });
    const home = await createTempDir('ravi-superset-home-');
    // What installing ravi-orchestrator as a dev dependency puts in the main worktree.
    const localBin = join(repo.path, 'node_modules', '.bin');
    await mkdir(localBin, { recursive: true });
    await writeFile(join(localBin, 'ravi-orchestrator'), `#!/usr/bin/env bash\nexec "${process.execPath}" "${CLI_PATH}" "$@"\n`, { mode: 0o755 });
    // PATH: git and a shell's basics, plus spies named npx and npm that record any call.
    const pathDir = await createTempDir('ravi-superset-path-');
    for (const tool of ['bash', 'git', 'sed', 'timeout', 'sleep']) {
      const found = await execa('bash', ['-c', `command -v ${tool}`], { reject: false });
      if (found.exitCode === 0) await symlink(found.stdout, join(pathDir, tool));
    }
    const spied = join(home, 'spied');
    for (const spy of ['npx', 'npm']) await writeFile(join(pathDir, spy), `#!/usr/bin/env bash\necho ${spy} "$@" >> "${spied}"\nexit 99\n`, { mode: 0o755 });
    const env = { PATH: pathDir, HOME: home, RAVI_ORCHESTRATOR_STATE_DIR: join(home, 'state'), ...gitEnv };

    expect((await runBuiltCli(['init', '--superset'], { cwd: repo.path, home })).exitCode).toBe(0);
    await repo.git('add', '.superset');
    await repo.git('commit', '-q', '-m', 'superset preset');
    const config = JSON.parse(await readFile(join(repo.path, '.superset', 'config.json'), 'utf8')) as { setup: string[]; teardown: string[] };
    const workspace = await repo.addWorktree('feature/local-cli');
    const setup = await execa('bash', ['-c', config.setup.join(' && ')], { cwd: workspace, env, extendEnv: false, reject: false });
    expect(setup.exitCode, setup.stderr).toBe(0);
    expect(parse(await readFile(join(workspace, '.env'), 'utf8')).AGENT_EMAIL).toMatch(/@agents\.localhost$/);
    const teardown = await execa('bash', ['-c', config.teardown.join(' && ')], { cwd: workspace, env, extendEnv: false, reject: false });
    expect(teardown.exitCode).toBe(0);
    expect(teardown.stderr).not.toContain('release failed');
    // Teardown ran the local CLI: the lease ended (the identity rests in the pool) and the block left the .env.
    expect(await readFile(join(workspace, '.env'), 'utf8')).not.toContain('AGENT_EMAIL');
    const ledger = await runBuiltCli(['status', '--json'], { cwd: repo.path, home });
    expect((JSON.parse(ledger.stdout) as { pool: unknown[] }).pool).toHaveLength(1);
    expect(existsSync(spied)).toBe(false);
  });
});
