/**
 * `exec -- CMD ARGS`: runs CMD with this worktree's managed variables and secrets in its environment,
 * so secrets can stay off disk (`env.writeSecrets: false`). Exits with CMD's exit code.
 */
import { execa } from 'execa';
import { findWorktreeIdentity } from '../../agent/worktree-identity.js';
import { managedEnv } from '../../agent/managed-env.js';
import type { CommandContext } from '../context.js';
import { UsageError } from '../args.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';

export async function execCommand(context: CommandContext): Promise<ExitCodeValue> {
  const [file, ...args] = context.args.rest;
  if (file === undefined) throw new UsageError('Usage: ravi-orchestrator exec -- CMD [ARGS...]');
  const me = await findWorktreeIdentity(context.config, context.provider, context.worktree ?? context.io.cwd);
  const env = await managedEnv(context.config, context.provider, me);
  for (const key of env.missingSecrets) context.io.stderr.write(`warning: the vault has no secret ${key}\n`);
  // Values go through the environment, never argv (visible to every process on the machine).
  const result = await execa(file, args, {
    cwd: context.io.cwd,
    env: Object.fromEntries(env.variables.map((v) => [v.key, v.value])),
    stdio: 'inherit',
    reject: false,
  });
  if (result.failed && result.exitCode === undefined) {
    context.io.stderr.write(`ravi-orchestrator exec: could not run ${file}: ${result.shortMessage}\n`);
    return ExitCode.FAILURE;
  }
  return (result.exitCode ?? ExitCode.FAILURE) as ExitCodeValue;
}
