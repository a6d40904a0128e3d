/** `plan`: what reconcile would do. Exit 0 in sync, 2 changes pending, 1 on error. */
import { runPass } from '../../reconcile/engine.js';
import { isChange } from '../../reconcile/actions.js';
import type { CommandContext } from '../context.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { writeJson, writeLine } from '../io.js';
import { formatPlan } from '../format/plan-text.js';
import { countChanges } from '../../reconcile/actions.js';

export async function planCommand(context: CommandContext): Promise<ExitCodeValue> {
  const report = await runPass({ config: context.config, provider: context.provider, logger: context.logger, mode: 'plan', worktree: context.worktree });
  const pending = report.plan.actions.some(isChange);
  const failed = report.plan.problems.length > 0;
  if (context.args.json) {
    writeJson(context.io.stdout, {
      inSync: !pending && !failed,
      summary: countChanges(report.plan.actions),
      actions: report.plan.actions,
      problems: report.plan.problems,
      notes: report.plan.notes,
    });
  } else {
    for (const line of formatPlan(report.plan, context.args.logLevel === 'debug' || context.args.logLevel === 'trace')) writeLine(context.io.stdout, line);
  }
  if (failed) return ExitCode.FAILURE;
  return pending ? ExitCode.CHANGES_PENDING : ExitCode.OK;
}
