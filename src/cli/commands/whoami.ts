/** `whoami`: this worktree's identity (name, email, phone), found from the current directory. */
import { defineCommand } from '../command.js';
import { ExitCode } from '../exit-codes.js';
import { writeJson, writeLine } from '../io.js';
import { AGENT_FLAGS, json } from '../shared-flags.js';

export default defineCommand({
  summary: 'this worktree\'s identity: name, email, phone',
  flags: { ...AGENT_FLAGS, json },
  async run(input) {
    const [{ createAgentContext }, { findWorktreeIdentity }] = await Promise.all([import('../context.js'), import('../../agent/worktree-identity.js')]);
    const context = await createAgentContext(input);
    const me = await findWorktreeIdentity(context.config, context.provider, context.worktree, context.located);
    if (input.flags.json) {
      writeJson(input.io.stdout, { name: me.name, uuid: me.uuid, email: me.email, phone: me.phone, worktree: me.worktree, leaseSince: me.leaseSince, provider: context.provider.kind });
    } else {
      writeLine(input.io.stdout, `identity  ${me.name}`);
      writeLine(input.io.stdout, `email     ${me.email ?? '-'}`);
      writeLine(input.io.stdout, `phone     ${me.phone ?? '-'}`);
      writeLine(input.io.stdout, `worktree  ${me.worktree}`);
      writeLine(input.io.stdout, `leased    ${me.leaseSince} (only messages from then on are this worktree's)`);
    }
    if (context.provider.kind === 'ravi') {
      // The real `ravi` CLI reads ./.ravi/config.json only: below the root it would act as the account's own identity.
      const { belowRootWarning } = await import('../../agent/run-ravi.js');
      const warning = belowRootWarning(me, input.io.cwd);
      if (warning !== null) input.io.stderr.write(`${warning}\n`);
    }
    return ExitCode.OK;
  },
});
