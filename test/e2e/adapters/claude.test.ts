/**
 * Claude Code's WorktreeCreate / WorktreeRemove hooks as Claude runs them (https://code.claude.com/docs/en/hooks):
 * the configured command through the shell (`sh -c`) from the session's folder with CLAUDE_PROJECT_DIR set, the
 * JSON payload on stdin, a 600 s limit (the command-hook default); Claude reads the path from stdout.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupTempDirs } from '../../support/git-fixtures.js';
import { commitAll, expectProvisioned, expectReleased, runHook, toolWorld } from './harness.js';

afterAll(cleanupTempDirs);

const LIMIT_MS = 600_000;
/** Each test starts the CLI a dozen times: room for a loaded 2-core machine. */
const TEST_MS = 180_000;

interface Settings {
  hooks: Record<'WorktreeCreate' | 'WorktreeRemove', Array<{ hooks: Array<{ type: string; command: string }> }>>;
}

describe('init --claude with the hooks run as Claude Code runs them', () => {
  it('creates, provisions and prints the worktree; removing releases the identity, removes worktree and branch', async () => {
    const world = await toolWorld('claudeapp');
    const { repo } = world;
    const init = await world.cli(['init', '--claude'], repo.path);
    expect(init.exitCode, init.stderr).toBe(0);
    await commitAll(repo, 'claude hooks');
    const settings = JSON.parse(await readFile(join(repo.path, '.claude', 'settings.json'), 'utf8')) as Settings;
    const [create] = settings.hooks.WorktreeCreate.flatMap((g) => g.hooks);
    const [remove] = settings.hooks.WorktreeRemove.flatMap((g) => g.hooks);
    expect(create?.type).toBe('command');

    const env = { ...world.env, CLAUDE_PROJECT_DIR: repo.path };
    const common = { session_id: 'abc123', transcript_path: join(world.home, 't.jsonl'), cwd: repo.path };
    const created = await runHook(['sh', '-c'], create!.command, {
      cwd: repo.path, env, limitMs: LIMIT_MS, input: JSON.stringify({ ...common, hook_event_name: 'WorktreeCreate', name: 'bold-oak-a3f2' }),
    });
    expect(created.exitCode, created.stderr).toBe(0);
    const path = join(repo.path, '.claude', 'worktrees', 'bold-oak-a3f2');
    expect(created.stdout).toBe(path); // nothing else on stdout: Claude takes it as the path
    expect(await repo.git('-C', path, 'branch', '--show-current')).toBe('worktree-bold-oak-a3f2');
    const email = await expectProvisioned(world, path);
    // The main checkout does not see the nested worktree either.
    expect(await repo.git('status', '--porcelain', '--untracked-files=all')).toBe('');

    // A resumed session asks again: the same worktree, still provisioned, nothing new.
    const again = await runHook(['sh', '-c'], create!.command, {
      cwd: repo.path, env, limitMs: LIMIT_MS, input: JSON.stringify({ ...common, hook_event_name: 'WorktreeCreate', name: 'bold-oak-a3f2' }),
    });
    expect(again.stdout).toBe(path);
    expect(await expectProvisioned(world, path)).toBe(email);

    // Claude fires WorktreeRemove from the session's folder: the worktree being removed.
    const removePayload = JSON.stringify({ ...common, cwd: path, hook_event_name: 'WorktreeRemove', worktree_path: path });
    const removed = await runHook(['sh', '-c'], remove!.command, { cwd: path, env, limitMs: LIMIT_MS, input: removePayload });
    expect(removed.exitCode, removed.stderr).toBe(0);
    expect(removed.stdout).toBe('');
    expect(existsSync(path)).toBe(false);
    expect(await repo.git('branch', '--list', 'worktree-bold-oak-a3f2')).toBe('');
    await expectReleased(world, path, email);

    // Claude also fires it for a worktree already gone: a no-op, not a failure (which would keep the session row).
    const twice = await runHook(['sh', '-c'], remove!.command, { cwd: repo.path, env, limitMs: LIMIT_MS, input: removePayload });
    expect(twice.exitCode, twice.stderr).toBe(0);
  }, TEST_MS);

  it('keeps a worktree branch holding commits found nowhere else, and copies .worktreeinclude files', async () => {
    const world = await toolWorld('claudekeep');
    const { repo } = world;
    await repo.commitFile('.worktreeinclude', '.env.local\n');
    await repo.commitFile('.gitignore', '.env.local\n');
    await writeFile(join(repo.path, '.env.local'), 'API_URL=http://localhost:3000\n');
    expect((await world.cli(['init', '--claude'], repo.path)).exitCode).toBe(0);
    await commitAll(repo, 'claude hooks');
    const env = { ...world.env, CLAUDE_PROJECT_DIR: repo.path };
    // Some Claude builds send the name as worktree_name.
    const created = await runHook(['sh', '-c'], 'ravi-orchestrator hook worktree-create', {
      cwd: repo.path, env, limitMs: LIMIT_MS, input: JSON.stringify({ session_id: 's', cwd: repo.path, hook_event_name: 'WorktreeCreate', worktree_name: 'agent-a10c' }),
    });
    expect(created.exitCode, created.stderr).toBe(0);
    const path = created.stdout;
    expect(await readFile(join(path, '.env.local'), 'utf8')).toBe('API_URL=http://localhost:3000\n');
    const email = await expectProvisioned(world, path);
    await repo.commitFile('work.txt', 'agent work\n', { worktree: path });

    const removed = await runHook(['sh', '-c'], 'ravi-orchestrator hook worktree-remove', {
      cwd: path, env, limitMs: LIMIT_MS, input: JSON.stringify({ session_id: 's', cwd: path, hook_event_name: 'WorktreeRemove', worktree_path: path }),
    });
    expect(removed.exitCode, removed.stderr).toBe(0);
    expect(removed.stderr).toContain('kept branch worktree-agent-a10c');
    expect(await repo.git('branch', '--list', 'worktree-agent-a10c')).toContain('worktree-agent-a10c');
    await expectReleased(world, path, email);
  }, TEST_MS);

  it('refuses a payload that is not Claude\'s, printing nothing on stdout', async () => {
    const world = await toolWorld('claudebad');
    const run = await runHook(['sh', '-c'], 'ravi-orchestrator hook worktree-create', {
      cwd: world.repo.path, env: world.env, input: JSON.stringify({ hook_event_name: 'WorktreeCreate', name: '../escape' }),
    });
    expect(run.exitCode).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('not usable as a folder and branch name');
    expect(existsSync(join(world.repo.root, 'escape'))).toBe(false);
  });
});
