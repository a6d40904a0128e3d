/** `plan`: what reconcile would do. Exit 0 in sync, 2 changes pending, 1 when a repo or worktree could not be checked. */
import { defineCommand } from '../command.js';
import { ExitCode } from '../exit-codes.js';
import { writeJson, writeLine } from '../io.js';
import { FLEET_FLAGS, json, worktree } from '../shared-flags.js';

export default defineCommand({
  summary: 'show what reconcile would do (+ create, > lease, < release, ~ update, - delete)',
  description:
    'Shows what `reconcile` would do, grouped by repo and worktree: + create an identity, > lease one from the pool, ' +
    '< end a lease (the identity returns to the pool), ~ update, - delete an idle identity, and a summary line. ' +
    'Changes nothing. Exit 0 when everything is in sync, 2 when changes are pending, 1 when a repo or worktree could ' +
    'not be checked (a configured repo that does not exist, say).',
  flags: { ...FLEET_FLAGS, worktree: { ...worktree, help: 'only the worktree containing PATH' }, json },
  examples: ['plan', 'plan --json'],
  async run(input) {
    const [{ createCommandContext }, { runPass }, { countChanges, isChange }, { formatPlan }, { planSummary }, { missingPaths }] = await Promise.all([
      import('../context.js'),
      import('../../reconcile/engine.js'),
      import('../../reconcile/actions.js'),
      import('../format/plan-text.js'),
      import('../format/plan-summary.js'),
      import('../missing-paths.js'),
    ]);
    const context = await createCommandContext(input);
    const { io, flags } = input;
    const report = await runPass({ config: context.config, provider: context.provider, logger: context.logger, mode: 'plan', worktree: context.worktree });
    const pending = report.plan.actions.some(isChange);
    const failed = report.plan.problems.length > 0;
    const missingRepos = failed ? await missingPaths(context.config.repos) : [];
    if (flags.json) {
      writeJson(io.stdout, {
        inSync: !pending && !failed,
        summary: countChanges(report.plan.actions),
        actions: report.plan.actions,
        problems: report.plan.problems,
        notes: report.plan.notes,
        missingRepos,
      });
    } else {
      const lines = formatPlan(report.plan, flags.logLevel === 'debug' || flags.logLevel === 'trace');
      for (const line of [...lines, planSummary(report.plan, missingRepos)]) writeLine(io.stdout, line);
    }
    if (failed) return ExitCode.FAILURE;
    return pending ? ExitCode.CHANGES_PENDING : ExitCode.OK;
  },
});
