/** `ravi -- ARGS`: the real `ravi` CLI, run from this worktree's root so it acts as this worktree's identity. */
import { execa } from 'execa';
import { findWorktreeIdentity } from '../../agent/worktree-identity.js';
import { RAVI_INSTALL_HINT, scopedConfigProblem } from '../../agent/run-ravi.js';
import type { CommandContext } from '../context.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';

/** What shells and env(1) return when a command cannot be found. */
const COMMAND_NOT_FOUND = 127;

export async function raviCommand(context: CommandContext): Promise<ExitCodeValue> {
  const { io } = context;
  if (context.provider.kind !== 'ravi') {
    io.stderr.write('ravi-orchestrator ravi: the local provider has no Ravi identities; set provider.kind to "ravi" to use the real service.\n');
    return ExitCode.FAILURE;
  }
  const me = await findWorktreeIdentity(context.config, context.provider, context.worktree ?? io.cwd);
  const problem = await scopedConfigProblem(me);
  if (problem !== null) {
    io.stderr.write(`ravi-orchestrator ravi: ${problem}\n`);
    return ExitCode.FAILURE;
  }
  const result = await execa('ravi', [...context.args.rest], { cwd: me.worktree, stdio: 'inherit', reject: false });
  if ((result as { code?: string }).code === 'ENOENT') {
    io.stderr.write(`ravi-orchestrator ravi: the \`ravi\` CLI is not installed; ${RAVI_INSTALL_HINT}.\n`);
    return COMMAND_NOT_FOUND as ExitCodeValue;
  }
  return (result.exitCode ?? ExitCode.FAILURE) as ExitCodeValue;
}
