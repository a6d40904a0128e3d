/**
 * worktrunk's hooks as `wt` runs them (max-sixty/worktrunk at 7ee9c62: src/commands/run_pipeline.rs,
 * src/output/handlers.rs, docs hook.md): `wt switch --create feat` makes <repo>.feat beside the repo and runs the
 * project's `pre-start` from .config/wt.toml in the new worktree; `wt remove` runs `pre-remove` in the worktree
 * being removed, and a failure aborts the removal. Each command goes to `sh -c` in the worktree with the hook
 * context as JSON on stdin; `{{ var }}` is expanded and shell-escaped first (an unknown variable is an error).
 * A string is one step, a table one step of concurrent commands, a list steps in order (a failure stops the rest).
 * No time limit.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupTempDirs } from '../../support/git-fixtures.js';
import { commitAll, expectProvisioned, expectReleased, runHook, toolWorld, type ToolWorld } from './harness.js';

afterAll(cleanupTempDirs);

/** worktrunk escapes values for sh: single quotes, a quote inside as '\''. */
function shellEscape(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}

function render(template: string, vars: Record<string, string>): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => {
    const value = vars[name];
    if (value === undefined) throw new Error(`undefined template variable ${name}`);
    return shellEscape(value);
  });
}

/** Runs a hook in any of its three forms; returns false when a step failed (worktrunk stops there). */
async function runWtHook(world: ToolWorld, hook: unknown, worktree: string, vars: Record<string, string>): Promise<boolean> {
  const steps = Array.isArray(hook) ? hook : hook === undefined ? [] : [hook];
  for (const step of steps) {
    const commands = typeof step === 'string' ? [step] : Object.values(step as Record<string, string>);
    const runs = await Promise.all(commands.map((command) =>
      runHook(['sh', '-c'], render(command, vars), { cwd: worktree, env: world.env, input: JSON.stringify({ ...vars, hook_type: 'pre-start' }) })));
    if (runs.some((run) => run.exitCode !== 0)) return false;
  }
  return true;
}

describe('init --worktrunk with hooks run as wt runs them', () => {
  it('pre-start runs the team step, then provisions; pre-remove releases before the removal', async () => {
    const world = await toolWorld('wtapp');
    const { repo } = world;
    await repo.commitFile('.gitignore', '.team-setup\n');
    await repo.commitFile('.config/wt.toml', '# our hooks\npre-start = "echo {{ branch }} > .team-setup"\n\n[post-start]\ndev = "true"\n');
    expect((await world.cli(['init', '--worktrunk'], repo.path)).exitCode).toBe(0);
    await commitAll(repo, 'worktrunk hooks');

    const worktree = await repo.addWorktree('feat/it works', { branch: 'feat/it-works', path: join(repo.root, "wtapp.feat-it works's") });
    const config = parse(await readFile(join(worktree, '.config', 'wt.toml'), 'utf8')) as Record<string, unknown>;
    const vars = { branch: 'feat/it-works', worktree_path: worktree, worktree_name: "wtapp.feat-it works's", repo: 'wtapp', repo_path: repo.path, primary_worktree_path: repo.path };
    expect(await runWtHook(world, config['pre-start'], worktree, vars)).toBe(true);
    expect(await readFile(join(worktree, '.team-setup'), 'utf8')).toBe('feat/it-works\n');
    const email = await expectProvisioned(world, worktree);

    expect(await runWtHook(world, config['pre-remove'], worktree, vars)).toBe(true);
    await expectReleased(world, worktree, email);
    await repo.removeWorktree(worktree, { force: true });
    expect(existsSync(worktree)).toBe(false);
  }, 180_000);
});
