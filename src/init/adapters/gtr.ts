/**
 * git-worktree-runner (`git gtr`): hooks are multi-valued git-config keys. Read from its source,
 * coderabbitai/git-worktree-runner at c319233 (2026-08): lib/hooks.sh, lib/commands/{create,remove}.sh,
 * templates/.gtrconfig.example.
 * - Shared: `.gtrconfig` at the main repo root (git-config syntax) `[hooks] postCreate / preRemove`; its commands
 *   run only after the user runs `git gtr trust` (trust is keyed on the hooks' content, so new ones need it again).
 * - Per user: `git config --local gtr.hook.postCreate / gtr.hook.preRemove`, no trust step.
 * - Each hook is `eval`ed by bash in a subshell, in the worktree, with REPO_ROOT, WORKTREE_PATH and BRANCH
 *   exported and stdin from /dev/null. postCreate runs after the worktree exists; a failing preRemove hook aborts
 *   the removal (unless --force), so ours never fails.
 * The file is edited by git itself (`git config -f FILE --add`), which keeps its comments and quoting; a copy in
 * a temp folder gives the preview and finds a malformed file before anything is written.
 */
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runGit } from '../../git/worktrees.js';
import { GitError } from '../../util/errors.js';
import { neverBlocking, pathFromEnv, runsSetup, runsTeardown, setupCommand, teardownCommand } from './commands.js';
import { AdapterConfigError } from './errors.js';
import { readCurrent } from './file-state.js';
import type { Adapter, AdapterContext, AdapterPlan } from './types.js';

const WORKTREE = pathFromEnv('WORKTREE_PATH');
export const GTR_POST_CREATE = setupCommand(WORKTREE);
export const GTR_PRE_REMOVE = neverBlocking(teardownCommand(WORKTREE));

export const gtrAdapter: Adapter = {
  tool: 'gtr',
  label: 'git-worktree-runner (git gtr)',
  localTarget: 'git config --local gtr.hook.*',
  plan: planGtr,
};

async function planGtr(context: AdapterContext): Promise<AdapterPlan> {
  const path = context.local ? join(context.commonDir, 'config') : join(context.root, '.gtrconfig');
  const prefix = context.local ? 'gtr.hook' : 'hooks';
  const current = await readCurrent(path);
  const scratch = await mkdtemp(join(tmpdir(), 'ravi-gtr-'));
  try {
    const copy = join(scratch, 'config');
    if (current !== null) await copyFile(path, copy); // else git creates it
    const adds: (readonly [string, string])[] = [];
    if (!(await values(copy, `${prefix}.postCreate`, path)).some(runsSetup)) adds.push([`${prefix}.postCreate`, GTR_POST_CREATE]);
    if (!(await values(copy, `${prefix}.preRemove`, path)).some(runsTeardown)) adds.push([`${prefix}.preRemove`, GTR_PRE_REMOVE]);
    for (const [key, value] of adds) await gitConfig(copy, ['--add', key, value], path);
    const content = adds.length === 0 ? (current?.text ?? '') : await readFile(copy, 'utf8');
    const state = adds.length === 0 ? 'unchanged' : current === null ? 'create' : 'update';
    const notes = context.local || adds.length === 0 ? [] : ['gtr runs .gtrconfig hooks only once trusted: review them, then run `git gtr trust`.'];
    return { files: [{ path, content, mode: current?.mode ?? 0o644, state, gitConfigAdds: adds }], exclude: [], notes };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Every value of a multi-valued key (none: empty); a file git cannot read is refused with git's reason. */
async function values(file: string, key: string, realPath: string): Promise<string[]> {
  const result = await gitConfig(file, ['--null', '--get-all', key], realPath, [1]);
  return result.split('\0').filter((value) => value !== '');
}

async function gitConfig(file: string, args: readonly string[], realPath: string, okExitCodes: readonly number[] = []): Promise<string> {
  try {
    return (await runGit(tmpdir(), ['config', '-f', file, ...args], { okExitCodes })).stdout;
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    const reason = /fatal: (.*)/.exec(String((error.cause as { stderr?: string } | undefined)?.stderr ?? error.message))?.[1] ?? error.message;
    throw new AdapterConfigError(realPath, `git cannot read it as a git-config file (${reason.replaceAll(file, realPath)})`, { cause: error });
  }
}
