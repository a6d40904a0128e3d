/** `reconcile`: make it so. Exit 0 when everything ended in sync, 1 when an action or check failed. */
import { runPass } from '../../reconcile/engine.js';
import type { CommandContext } from '../context.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { writeJson, writeLine } from '../io.js';
import { formatResults } from '../format/plan-text.js';
import { countChanges } from '../../reconcile/actions.js';

export async function reconcileCommand(context: CommandContext): Promise<ExitCodeValue> {
  const report = await runPass({
    config: context.config,
    provider: context.provider,
    logger: context.logger,
    mode: 'apply',
    worktree: context.worktree,
    lockWaitMs: context.args.lockWaitMs ?? undefined,
    takeOver: context.args.takeOver,
  });
  const failures = report.results.filter((r) => r.status === 'failed');
  const ok = failures.length === 0 && report.plan.problems.length === 0;
  if (context.args.json) {
    writeJson(context.io.stdout, {
      ok,
      durationMs: Math.round(report.durationMs),
      summary: { ...countChanges(report.results.filter((r) => r.status === 'done').map((r) => r.action)), failed: failures.length + report.plan.problems.length },
      results: report.results.map((r) => ({ ...r.action, status: r.status, error: r.error?.message ?? null })),
      problems: report.plan.problems,
      notes: report.plan.notes,
    });
  } else {
    if (context.worktree !== null && report.focus !== null && !report.focus.managed) {
      writeLine(context.io.stdout, `${context.worktree} is not managed: ${report.focus.unmanagedReason ?? 'unknown reason'}.`);
    }
    for (const line of formatResults(report.plan, report.results, report.durationMs)) writeLine(context.io.stdout, line);
  }
  return ok ? ExitCode.OK : ExitCode.FAILURE;
}
