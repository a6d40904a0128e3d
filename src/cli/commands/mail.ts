/**
 * `mail serve`: the local provider's SMTP server and SMS endpoint in the foreground (the daemon runs
 * them too). `sms deliver --to --from --body`: put an SMS into a local agent's inbox.
 */
import { startLocalMail } from '../../mail/local-mail.js';
import { createInboxStore } from '../../mail/inbox-store.js';
import { normalizePhone } from '../../mail/sms-endpoint.js';
import { findLocalIdentity } from '../../providers/local/local-provider.js';
import type { CommandContext } from '../context.js';
import { UsageError } from '../args.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { writeJson, writeLine } from '../io.js';

export async function mailCommand(context: CommandContext): Promise<ExitCodeValue> {
  if (context.args.rest[0] !== 'serve') throw new UsageError('Usage: ravi-orchestrator mail serve');
  requireLocal(context);
  const mail = await startLocalMail(context.config, context.logger);
  writeLine(context.io.stdout, `SMTP on ${mail.smtp.host}:${mail.smtp.port}, SMS on http://${mail.sms.host}:${mail.sms.port}/sms (Ctrl-C stops)`);
  await mail.prune();
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await mail.close();
  return ExitCode.OK;
}

export async function smsCommand(context: CommandContext): Promise<ExitCodeValue> {
  const { args } = context;
  if (args.rest[0] !== 'deliver' || args.to === null || args.body === null) {
    throw new UsageError('Usage: ravi-orchestrator sms deliver --to +12015550100 --from +15550001111 --body "123456 is your code"');
  }
  requireLocal(context);
  const to = normalizePhone(args.to);
  if (to === null) throw new UsageError(`--to is not a phone number (got "${args.to}")`);
  const identity = await findLocalIdentity(context.config.stateDir, { phone: to });
  if (identity === null) {
    context.io.stderr.write(`No local agent has the number ${to}; see \`ravi-orchestrator status\` for the numbers in use.\n`);
    return ExitCode.FAILURE;
  }
  const message = await createInboxStore(context.config.stateDir).addSms(identity.uuid, {
    from_number: normalizePhone(args.from ?? '') ?? args.from ?? '',
    to_number: to,
    body: args.body,
  });
  if (args.json) writeJson(context.io.stdout, message);
  else writeLine(context.io.stdout, `Delivered SMS ${message.id} to ${identity.name} (${to}).`);
  return ExitCode.OK;
}

function requireLocal(context: CommandContext): void {
  if (context.config.provider.kind !== 'local') {
    throw new UsageError('Local mail and SMS exist only with the local provider; Ravi delivers real mail and SMS to its identities.');
  }
}
