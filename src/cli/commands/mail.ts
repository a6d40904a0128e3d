/** `mail serve`: the local provider's SMTP server and SMS endpoint in the foreground (the daemon runs them too). */
import { defineCommand, defineGroup } from '../command.js';
import { ExitCode } from '../exit-codes.js';
import { writeLine } from '../io.js';
import { CONFIG_FLAGS } from '../shared-flags.js';
import { untilStopSignal } from '../stop-signal.js';

export default defineGroup({
  summary: 'the local provider\'s mail servers',
  subcommands: {
    serve: defineCommand({
      summary: 'the local provider\'s SMTP server (127.0.0.1:2525) and SMS endpoint (:2526/sms) in the foreground',
      description:
        'Runs the local provider\'s SMTP server and SMS endpoint in the foreground until Ctrl-C (the daemon runs them too): ' +
        'mail to an agent\'s address lands in its own inbox, for `inbox`, `otp` and `link`. Loopback only; ports from the ' +
        'config\'s `mail` section.',
      flags: { ...CONFIG_FLAGS },
      finishesWhenStdoutCloses: true,
      async run(input) {
        const [{ createCommandContext, requireLocalProvider }, { startLocalMail }] = await Promise.all([import('../context.js'), import('../../mail/local-mail.js')]);
        const context = await createCommandContext(input, { scope: 'state-only' });
        requireLocalProvider(context, 'Ravi delivers real mail and SMS to its identities.');
        const mail = await startLocalMail(context.config, context.logger);
        writeLine(input.io.stdout, `SMTP on ${mail.smtp.host}:${mail.smtp.port}, SMS on http://${mail.sms.host}:${mail.sms.port}/sms (Ctrl-C stops)`);
        await mail.prune();
        await untilStopSignal();
        await mail.close();
        return ExitCode.OK;
      },
    }),
  },
});
