/**
 * `hook worktree-create | worktree-remove`: Claude Code's WorktreeCreate / WorktreeRemove command hooks, which
 * `init --claude` registers. The payload comes on stdin; stdout carries only what Claude reads (the new
 * worktree's absolute path), every other line goes to stderr. The logic lives in src/init/adapters/claude/.
 */
import { createClaudeWorktree } from '../../init/adapters/claude/create-worktree.js';
import { parseCreatePayload, parseRemovePayload } from '../../init/adapters/claude/payload.js';
import { inspectRemoval, removeClaudeWorktree } from '../../init/adapters/claude/remove-worktree.js';
import { copyWorktreeInclude } from '../../init/adapters/claude/worktree-include.js';
import { UsageError, type CliArgs } from '../args.js';
import { createCommandContext, type CommandContext } from '../context.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { writeLine, type CliIo } from '../io.js';

const EVENTS = ['worktree-create', 'worktree-remove'] as const;

export async function hookCommand(args: CliArgs, io: CliIo): Promise<ExitCodeValue> {
  const [event, ...extra] = args.rest;
  if (extra.length > 0 || (event !== 'worktree-create' && event !== 'worktree-remove')) {
    throw new UsageError(`hook takes one of ${EVENTS.join(', ')} (Claude Code's WorktreeCreate / WorktreeRemove, JSON payload on stdin)`);
  }
  if (args.worktree !== null) throw new UsageError('hook takes its worktree from the payload on stdin, not --worktree');
  return event === 'worktree-create' ? worktreeCreate(args, io) : worktreeRemove(args, io);
}

/** Creates (or finds) the worktree, copies .worktreeinclude files, provisions it, prints its path. */
async function worktreeCreate(args: CliArgs, io: CliIo): Promise<ExitCodeValue> {
  const payload = parseCreatePayload(await io.readStdin());
  const start = payload.cwd ?? io.env['CLAUDE_PROJECT_DIR'] ?? io.cwd;
  const worktree = await createClaudeWorktree(payload.name, start);
  note(io, worktree.created ? `created ${worktree.path} on branch ${worktree.branch}` : `${worktree.path} already exists; provisioning it`);
  const copied = await copyWorktreeInclude(worktree.source, worktree.path);
  if (copied.length > 0) note(io, `copied from .worktreeinclude: ${copied.join(', ')}`);
  // The worktree exists now: a failed provisioning is reported, but does not cost the user the session.
  await runQuietly(io, 'reconcile', { ...args, worktree: worktree.path }, async (context) => {
    const { reconcileCommand } = await import('./reconcile.js');
    return reconcileCommand(context);
  });
  writeLine(io.stdout, worktree.path);
  return ExitCode.OK;
}

/** Releases the identity, then removes the worktree and our branch; a path already gone is a no-op. */
async function worktreeRemove(args: CliArgs, io: CliIo): Promise<ExitCodeValue> {
  const payload = parseRemovePayload(await io.readStdin());
  const target = await inspectRemoval(payload.worktreePath);
  if (target.kind === 'gone') {
    note(io, `${payload.worktreePath} holds no worktree (already removed); nothing to do`);
    return ExitCode.OK;
  }
  // Released first, while git still lists the worktree; if this fails the daemon's orphan sweep releases it later.
  await runQuietly(io, 'release', { ...args, worktree: target.path }, async (context) => {
    const { releaseCommand } = await import('./release.js');
    return releaseCommand(context);
  });
  // Claude runs the hook from the session's folder, often the worktree being deleted: a process whose cwd is gone
  // cannot start git (spawn fails with ENOENT), so step out to the main worktree first.
  process.chdir(target.mainPath);
  const result = await removeClaudeWorktree(target);
  note(io, `removed ${target.path}${result.branchDeleted === null ? '' : ` and branch ${result.branchDeleted}`}`);
  if (result.branchKept !== null) note(io, `kept branch ${result.branchKept}: it has commits no other branch has (delete it with: git branch -D ${result.branchKept})`);
  return ExitCode.OK;
}

/** Runs a command with its stdout on our stderr; a failure is reported on stderr and does not stop the hook. */
async function runQuietly(io: CliIo, name: string, args: CliArgs, run: (context: CommandContext) => Promise<ExitCodeValue>): Promise<void> {
  const quiet: CliIo = { ...io, stdout: io.stderr };
  try {
    const code = await run(await createCommandContext({ ...args, command: name === 'reconcile' ? 'reconcile' : 'release', rest: [] }, quiet));
    if (code !== ExitCode.OK) note(io, `${name} ended with exit ${code}; run \`ravi-orchestrator ${name} --worktree "${args.worktree ?? ''}"\` to retry (the daemon also catches up)`);
  } catch (error) {
    note(io, `${name} failed: ${(error as Error).message}; the daemon catches up, or run \`ravi-orchestrator ${name} --worktree "${args.worktree ?? ''}"\``);
  }
}

function note(io: CliIo, text: string): void {
  writeLine(io.stderr, `ravi-orchestrator hook: ${text}`);
}
