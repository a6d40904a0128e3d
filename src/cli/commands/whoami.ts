/** `whoami`: this worktree's identity (name, email, phone), found from the current directory. */
import { findWorktreeIdentity } from '../../agent/worktree-identity.js';
import type { CommandContext } from '../context.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { writeJson, writeLine } from '../io.js';
import { belowRootWarning } from '../../agent/run-ravi.js';

export async function whoamiCommand(context: CommandContext): Promise<ExitCodeValue> {
  const me = await findWorktreeIdentity(context.config, context.provider, context.worktree ?? context.io.cwd);
  if (context.args.json) {
    writeJson(context.io.stdout, { name: me.name, uuid: me.uuid, email: me.email, phone: me.phone, worktree: me.worktree, leaseSince: me.leaseSince, provider: context.provider.kind });
  } else {
    writeLine(context.io.stdout, `identity  ${me.name}`);
    writeLine(context.io.stdout, `email     ${me.email ?? '-'}`);
    writeLine(context.io.stdout, `phone     ${me.phone ?? '-'}`);
    writeLine(context.io.stdout, `worktree  ${me.worktree}`);
    writeLine(context.io.stdout, `leased    ${me.leaseSince} (only messages from then on are this worktree's)`);
    const warning = context.provider.kind === 'ravi' ? belowRootWarning(me, context.io.cwd) : null;
    if (warning !== null) context.io.stderr.write(`${warning}\n`);
  }
  return ExitCode.OK;
}
