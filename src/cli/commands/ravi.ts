/**
 * `ravi -- ARGS`: the real `ravi` CLI, run from this worktree's root so it acts as this worktree's identity.
 * The real CLI reads ./.ravi/config.json in the current folder only; below the root it would fall back to
 * ~/.ravi/config.json, the account's management key (../shared/RAVI-CONTRACT.md).
 */
import { defineCommand } from '../command.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { AGENT_FLAGS } from '../shared-flags.js';

export default defineCommand({
  summary: 'the real `ravi` CLI as this worktree\'s identity (run from the worktree\'s root)',
  description:
    'Runs the real `ravi` CLI from this worktree\'s root, where the identity-scoped key of its lease lives in ' +
    '.ravi/config.json, so it acts as this worktree\'s identity and never as your account. Refuses when the worktree has ' +
    'no key of its own (the provider is local, or the worktree has not been reconciled). Exits with ravi\'s code; 127 ' +
    'when ravi is not installed. Flags after ARGS are ravi\'s.',
  flags: { ...AGENT_FLAGS },
  positionals: [{ name: 'ARGS', help: 'the arguments for ravi', passThrough: true, optional: true }],
  finishesWhenStdoutCloses: true,
  examples: ['ravi -- message email', 'ravi -- get email --json'],
  async run(input) {
    const [{ createAgentContext }, { findWorktreeIdentity }, { RAVI_INSTALL_HINT, scopedConfigProblem }, { runChild }] = await Promise.all([
      import('../context.js'),
      import('../../agent/worktree-identity.js'),
      import('../../agent/run-ravi.js'),
      import('../run-child.js'),
    ]);
    const { io } = input;
    const context = await createAgentContext(input);
    if (context.provider.kind !== 'ravi') {
      io.stderr.write('ravi-orchestrator ravi: the local provider has no Ravi identities; set provider.kind to "ravi" to use the real service.\n');
      return ExitCode.FAILURE;
    }
    const me = await findWorktreeIdentity(context.config, context.provider, context.worktree, context.located);
    const problem = await scopedConfigProblem(me);
    if (problem !== null) {
      io.stderr.write(`ravi-orchestrator ravi: ${problem}\n`);
      return ExitCode.FAILURE;
    }
    const outcome = await runChild('ravi', input.positionals, { cwd: me.worktree, env: io.env });
    if (outcome.kind === 'exited') return outcome.code as ExitCodeValue;
    if (outcome.kind === 'not-found') {
      io.stderr.write(`ravi-orchestrator ravi: the \`ravi\` CLI is not installed; ${RAVI_INSTALL_HINT}.\n`);
      return ExitCode.COMMAND_NOT_FOUND;
    }
    io.stderr.write(`ravi-orchestrator ravi: cannot run ravi (${outcome.reason})\n`);
    return ExitCode.CANNOT_EXECUTE;
  },
});
