/** `disown [--repo PATH]`: hand a repo over to another state dir (its leases end here, its claim goes). */
import { disownRepo } from '../../reconcile/disown.js';
import type { CommandContext } from '../context.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { writeJson, writeLine } from '../io.js';

export async function disownCommand(context: CommandContext): Promise<ExitCodeValue> {
  for (const repo of context.config.repos) {
    const report = await disownRepo({ config: context.config, provider: context.provider, logger: context.logger, repo, lockWaitMs: context.args.lockWaitMs ?? undefined });
    if (context.args.json) writeJson(context.io.stdout, { ok: true, ...report });
    else {
      writeLine(context.io.stdout, `${report.repo}: ${report.released.length} lease(s) ended (${report.released.join(', ') || 'none'}); the identities rest in this state dir's pool.`);
      writeLine(context.io.stdout, report.claimRemoved ? `${report.repo}: handed over; another state dir may manage it now.` : `${report.repo}: this state dir had not claimed it.`);
    }
  }
  return ExitCode.OK;
}
