/**
 * `hook worktree-create | worktree-remove`: Claude Code's WorktreeCreate / WorktreeRemove command hooks, which
 * `init --claude` registers. The payload comes on stdin; stdout carries only what Claude reads (the new
 * worktree's absolute path), every other line goes to stderr. The logic lives in src/init/adapters/claude/.
 */
import { defineCommand } from '../command.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { writeLine, type CliIo } from '../io.js';
import { CONFIG_FLAGS } from '../shared-flags.js';

const FLAGS = { ...CONFIG_FLAGS };

interface PassedOn {
  readonly config: string | null;
  readonly stateDir: string | null;
  readonly logLevel: string;
}

export default defineCommand({
  summary: 'Claude Code\'s WorktreeCreate / WorktreeRemove hooks (payload on stdin; init --claude)',
  description:
    'What `init --claude` registers in .claude/settings.json. worktree-create makes (or finds) the worktree Claude asks ' +
    'for, copies .worktreeinclude files, leases its identity and prints the worktree\'s path, the only line on stdout. ' +
    'worktree-remove releases the identity to the pool, then removes the worktree and the branch it made (a branch ' +
    'with commits of its own is kept). A failed reconcile or release is reported on stderr; the daemon catches up.',
  flags: FLAGS,
  positionals: [{ name: 'EVENT', help: 'which hook Claude Code runs', choices: ['worktree-create', 'worktree-remove'] }],
  finishesWhenStdoutCloses: true,
  examples: ['hook worktree-create < payload.json'],
  async run(input) {
    const passedOn: PassedOn = { config: input.flags.config, stateDir: input.flags.stateDir, logLevel: input.flags.logLevel };
    return input.positionals[0] === 'worktree-create' ? worktreeCreate(input.io, passedOn) : worktreeRemove(input.io, passedOn);
  },
});

/** Creates (or finds) the worktree, copies .worktreeinclude files, provisions it, prints its path. */
async function worktreeCreate(io: CliIo, passedOn: PassedOn): Promise<ExitCodeValue> {
  const [{ createClaudeWorktree }, { parseCreatePayload }, { copyWorktreeInclude }] = await Promise.all([
    import('../../init/adapters/claude/create-worktree.js'),
    import('../../init/adapters/claude/payload.js'),
    import('../../init/adapters/claude/worktree-include.js'),
  ]);
  const payload = parseCreatePayload(await io.readStdin());
  const start = payload.cwd ?? io.env['CLAUDE_PROJECT_DIR'] ?? io.cwd;
  const worktree = await createClaudeWorktree(payload.name, start);
  note(io, worktree.created ? `created ${worktree.path} on branch ${worktree.branch}` : `${worktree.path} already exists; provisioning it`);
  const copied = await copyWorktreeInclude(worktree.source, worktree.path);
  if (copied.length > 0) note(io, `copied from .worktreeinclude: ${copied.join(', ')}`);
  // The worktree exists now: a failed provisioning is reported, but does not cost the user the session.
  await runQuietly(io, 'reconcile', worktree.path, passedOn);
  writeLine(io.stdout, worktree.path);
  return ExitCode.OK;
}

/** Releases the identity, then removes the worktree and our branch; a path already gone is a no-op. */
async function worktreeRemove(io: CliIo, passedOn: PassedOn): Promise<ExitCodeValue> {
  const [{ parseRemovePayload }, { inspectRemoval, removeClaudeWorktree }] = await Promise.all([
    import('../../init/adapters/claude/payload.js'),
    import('../../init/adapters/claude/remove-worktree.js'),
  ]);
  const payload = parseRemovePayload(await io.readStdin());
  const target = await inspectRemoval(payload.worktreePath);
  if (target.kind === 'gone') {
    note(io, `${payload.worktreePath} holds no worktree (already removed); nothing to do`);
    return ExitCode.OK;
  }
  // Released first, while git still lists the worktree; if this fails the daemon's orphan sweep releases it later.
  await runQuietly(io, 'release', target.path, passedOn);
  // Claude runs the hook from the session's folder, often the worktree being deleted: a process whose cwd is gone
  // cannot start git (spawn fails with ENOENT), so step out to the main worktree first.
  process.chdir(target.mainPath);
  const result = await removeClaudeWorktree(target);
  note(io, `removed ${target.path}${result.branchDeleted === null ? '' : ` and branch ${result.branchDeleted}`}`);
  if (result.branchKept !== null) note(io, `kept branch ${result.branchKept}: it has commits no other branch has (delete it with: git branch -D ${result.branchKept})`);
  return ExitCode.OK;
}

/** Runs `reconcile`/`release --worktree PATH` with its stdout on our stderr; a failure is reported and does not stop the hook. */
async function runQuietly(io: CliIo, name: 'reconcile' | 'release', worktree: string, passedOn: PassedOn): Promise<void> {
  const { runCommandLine } = await import('../run.js');
  const quiet: CliIo = { ...io, stdout: io.stderr };
  const argv = [name, '--worktree', worktree, '--log-level', passedOn.logLevel];
  if (passedOn.config !== null) argv.push('--config', passedOn.config);
  if (passedOn.stateDir !== null) argv.push('--state-dir', passedOn.stateDir);
  const retry = `run \`ravi-orchestrator ${name} --worktree "${worktree}"\``;
  try {
    const code = await runCommandLine(argv, quiet);
    if (code !== ExitCode.OK) note(io, `${name} ended with exit ${code}; ${retry} to retry (the daemon also catches up)`);
  } catch (error) {
    note(io, `${name} failed: ${(error as Error).message}; the daemon catches up, or ${retry}`);
  }
}

function note(io: CliIo, text: string): void {
  writeLine(io.stderr, `ravi-orchestrator hook: ${text}`);
}
