/** `env [--json] [--reveal]`: the managed variables of this worktree; secret values masked unless --reveal. */
import { findWorktreeIdentity } from '../../agent/worktree-identity.js';
import { managedEnv } from '../../agent/managed-env.js';
import type { CommandContext } from '../context.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { writeJson, writeLine } from '../io.js';

const MASK = '********';

export async function envCommand(context: CommandContext): Promise<ExitCodeValue> {
  const me = await findWorktreeIdentity(context.config, context.provider, context.worktree ?? context.io.cwd);
  const env = await managedEnv(context.config, context.provider, me);
  const shown = env.variables.map((v) => ({ ...v, value: v.secret && !context.args.reveal ? MASK : v.value }));
  if (context.args.json) {
    writeJson(context.io.stdout, { variables: Object.fromEntries(shown.map((v) => [v.key, v.value])), secrets: shown.filter((v) => v.secret).map((v) => v.key), missingSecrets: env.missingSecrets });
  } else {
    for (const variable of shown) writeLine(context.io.stdout, `${variable.key}=${variable.value}`);
  }
  for (const key of env.missingSecrets) context.io.stderr.write(`warning: the vault has no secret ${key}\n`);
  return ExitCode.OK;
}
