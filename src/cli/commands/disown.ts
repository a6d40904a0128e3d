/** `disown [--repo PATH]`: hand a repo over to another state dir (its leases end here, its claim goes). */
import { defineCommand } from '../command.js';
import { ExitCode } from '../exit-codes.js';
import { writeJson, writeLine } from '../io.js';
import { FLEET_FLAGS, json, lockWait } from '../shared-flags.js';

export default defineCommand({
  summary: 'hand this repo over to another state dir (its leases end here; see reconcile --take-over)',
  description:
    'One state dir manages a repo at a time (its claim is .git/ravi-orchestrator.owner.json). disown ends every lease ' +
    'this state dir holds in the repo (the identities rest in its pool, nothing is deleted) and removes the claim, so ' +
    'another state dir may manage the repo. Env files are left as they are until the new owner rewrites them.',
  flags: { ...FLEET_FLAGS, json, 'lock-wait': lockWait(120) },
  finishesWhenStdoutCloses: true,
  examples: ['disown', 'disown --repo ~/code/app'],
  async run(input) {
    const [{ createCommandContext }, { disownRepo }] = await Promise.all([import('../context.js'), import('../../reconcile/disown.js')]);
    const context = await createCommandContext(input);
    const { io, flags } = input;
    for (const repo of context.config.repos) {
      const report = await disownRepo({ config: context.config, provider: context.provider, logger: context.logger, repo, lockWaitMs: flags.lockWait });
      if (flags.json) writeJson(io.stdout, { ok: true, ...report });
      else {
        writeLine(io.stdout, `${report.repo}: ${report.released.length} lease(s) ended (${report.released.join(', ') || 'none'}); the identities rest in this state dir's pool.`);
        writeLine(io.stdout, report.claimRemoved ? `${report.repo}: handed over; another state dir may manage it now.` : `${report.repo}: this state dir had not claimed it.`);
      }
    }
    return ExitCode.OK;
  },
});
