/**
 * locateWorktree (in-process) against git's own answer over real repos: whenever it answers, it must say
 * exactly what git says; in the plain layouts it must answer (or the speed-up silently does nothing).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { chmod, mkdir, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { execa } from 'execa';
import { locateWorktree } from '../../src/git/locate-worktree.js';
import { locateWithGit } from '../../src/agent/worktree-identity.js';
import { resolveWorktreeRoot } from '../../src/git/worktrees.js';
import { cleanupTempDirs, createRepo, createTempDir, git, gitEnv } from '../support/git-fixtures.js';
import { CLI_PATH } from '../support/cli.js';

afterAll(cleanupTempDirs);

/** Asserts agreement with git and returns whether the in-process path answered. */
async function agrees(path: string): Promise<boolean> {
  const fast = await locateWorktree(path);
  const slow = await locateWithGit(path).catch((error: unknown) => error as Error);
  if (fast === null) return false;
  expect(slow).not.toBeInstanceOf(Error);
  expect(fast).toEqual(slow);
  return true;
}

describe('locateWorktree agrees with git', () => {
  it('answers for the main worktree, a linked one, subfolders, files, detached HEAD and nested branch names', async () => {
    const repo = await createRepo({ name: 'shop' });
    const linked = await repo.addWorktree('feat/deep/login');
    const detached = await repo.addWorktree('detached', { detach: true });
    await mkdir(join(linked, 'src', 'app'), { recursive: true });
    await writeFile(join(linked, 'src', 'app', 'main.ts'), '');
    for (const path of [repo.path, join(repo.path, 'README.md'), linked, join(linked, 'src', 'app'), join(linked, 'src', 'app', 'main.ts'), detached]) {
      expect(await agrees(path), path).toBe(true);
    }
    expect((await locateWorktree(linked))?.branch).toBe('refs/heads/feat/deep/login');
    expect((await locateWorktree(detached))?.branch).toBeNull();
    expect((await locateWorktree(repo.path))?.adminId).toBeNull();
  });

  it('follows git worktree move, resolves symlinked paths, and names a bare repo like git', async () => {
    const repo = await createRepo({ name: 'moves' });
    const wt = await repo.addWorktree('mover');
    const moved = join(repo.root, 'elsewhere', 'mover');
    await repo.moveWorktree(wt, moved);
    expect(await agrees(moved)).toBe(true);
    const link = join(repo.root, 'link-to-mover');
    await symlink(moved, link);
    expect(await agrees(link)).toBe(true);
    expect((await locateWorktree(link))?.worktreePath).toBe(moved);

    const bare = await createRepo({ name: 'served', bare: true });
    const fromBare = await bare.addWorktree('agent');
    expect(await agrees(fromBare)).toBe(true);
    expect((await locateWorktree(fromBare))?.repoName).toBe('served');
  });

  it('leaves to git what it does not fully understand, and never disagrees there', async () => {
    const repo = await createRepo({ name: 'odd' });
    // Moved by hand without `git worktree repair`: git still finds the repo but lists the old path.
    const wt = await repo.addWorktree('by-hand');
    const byHand = join(repo.root, 'moved-by-hand');
    await rename(wt, byHand);
    expect(await agrees(byHand)).toBe(false);
    expect((await locateWithGit(byHand)).adminId).toBeNull();
    // Inside the git dir, and outside any repo.
    expect(await locateWorktree(join(repo.path, '.git'))).toBeNull();
    expect(await locateWorktree(join(repo.path, '.git', 'refs'))).toBeNull();
    expect(await locateWorktree(await createTempDir('ravi-no-repo-'))).toBeNull();
    // --separate-git-dir: the main worktree's .git is a file.
    const root = await createTempDir('ravi-separate-');
    await git(root, 'init', '--quiet', '--separate-git-dir', join(root, 'store.git'), join(root, 'work'));
    expect(await agrees(join(root, 'work'))).toBe(false);
    // core.worktree makes git look elsewhere.
    const other = await createRepo({ name: 'coreworktree' });
    const linkedOther = await other.addWorktree('x');
    await other.git('config', 'core.worktree', other.path);
    expect(await agrees(linkedOther)).toBe(false);
  });

  it('resolveWorktreeRoot gives the same root and common dir either way', async () => {
    const repo = await createRepo({ name: 'roots' });
    const wt = await repo.addWorktree('feat/x');
    const expected = { worktreePath: wt, commonDir: repo.commonDir };
    expect(await resolveWorktreeRoot(join(wt))).toEqual(expected);
    expect((await locateWorktree(wt))?.commonDir).toBe(repo.commonDir);
  });
});

describe('an agent command in a plain worktree', () => {
  it('starts no git process at all', async () => {
    const repo = await createRepo({ name: 'quick' });
    const wt = await repo.addWorktree('agent');
    const home = await createTempDir('ravi-quick-home-');
    const env = { PATH: process.env['PATH'] ?? '', HOME: home, RAVI_ORCHESTRATOR_STATE_DIR: join(home, 'state'), ...gitEnv };
    expect((await execa(process.execPath, [CLI_PATH, 'reconcile'], { cwd: repo.path, env, extendEnv: false })).exitCode).toBe(0);

    // A `git` first on PATH that logs every call, then runs the real one.
    const spyDir = await createTempDir('ravi-git-spy-');
    const log = join(spyDir, 'calls.log');
    const realGit = (await execa('sh', ['-c', 'command -v git'])).stdout.trim();
    await writeFile(join(spyDir, 'git'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec '${realGit}' "$@"\n`);
    await chmod(join(spyDir, 'git'), 0o755);
    await writeFile(log, '');
    const spied = { ...env, PATH: `${spyDir}${delimiter}${env.PATH}` };

    const whoami = await execa(process.execPath, [CLI_PATH, 'whoami', '--json'], { cwd: join(wt), env: spied, extendEnv: false });
    expect(JSON.parse(whoami.stdout)).toMatchObject({ name: 'ws-quick-agent', worktree: wt });
    expect(await readFile(log, 'utf8')).toBe('');
    // Control: the spy does see git when the layout sends us to it (core.worktree set).
    await repo.git('config', 'core.worktree', repo.path);
    await execa(process.execPath, [CLI_PATH, 'whoami', '--json'], { cwd: wt, env: spied, extendEnv: false, reject: false });
    expect((await readFile(log, 'utf8')).length).toBeGreaterThan(0);
  });
});
