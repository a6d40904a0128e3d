/** `sms deliver --to --from --body`: put an SMS into a local agent's inbox (what an app's SMS sender would do). */
import { defineCommand, defineGroup } from '../command.js';
import { ExitCode } from '../exit-codes.js';
import { requiredFlag, stringFlag } from '../flags.js';
import { writeJson, writeLine } from '../io.js';
import { CONFIG_FLAGS, json } from '../shared-flags.js';
import { UsageError } from '../usage-error.js';

export default defineGroup({
  summary: 'SMS for the local provider',
  subcommands: {
    deliver: defineCommand({
      summary: 'put an SMS into a local agent\'s inbox',
      flags: {
        to: requiredFlag({ valueName: 'PHONE', help: 'the agent\'s number (AGENT_PHONE)' }),
        from: stringFlag({ valueName: 'PHONE', help: 'the sender\'s number' }),
        body: requiredFlag({ valueName: 'TEXT', help: 'the message text' }),
        ...CONFIG_FLAGS,
        json,
      },
      finishesWhenStdoutCloses: true,
      examples: ['sms deliver --to "$AGENT_PHONE" --from +15550001111 --body "123456 is your code"'],
      async run(input) {
        const [{ createCommandContext, requireLocalProvider }, { createInboxStore }, { normalizePhone }, { findLocalIdentity }] = await Promise.all([
          import('../context.js'),
          import('../../mail/inbox-store.js'),
          import('../../mail/sms-endpoint.js'),
          import('../../providers/local/local-provider.js'),
        ]);
        const { flags, io } = input;
        const context = await createCommandContext(input, { scope: 'state-only' });
        requireLocalProvider(context, 'Ravi delivers real SMS to its identities\' numbers.');
        const to = normalizePhone(flags.to);
        if (to === null) throw new UsageError(`--to is not a phone number (got "${flags.to}")`, input.path);
        const identity = await findLocalIdentity(context.config.stateDir, { phone: to });
        if (identity === null) {
          io.stderr.write(`No local agent has the number ${to}; see \`ravi-orchestrator status\` for the numbers in use.\n`);
          return ExitCode.FAILURE;
        }
        const message = await createInboxStore(context.config.stateDir).addSms(identity.uuid, {
          from_number: normalizePhone(flags.from ?? '') ?? flags.from ?? '',
          to_number: to,
          body: flags.body,
        });
        if (flags.json) writeJson(io.stdout, message);
        else writeLine(io.stdout, `Delivered SMS ${message.id} to ${identity.name} (${to}).`);
        return ExitCode.OK;
      },
    }),
  },
});
