/** Human output of `plan` and `reconcile`: actions grouped by repo, problems, notes, a summary line. */
import type { Action, Plan } from '../../reconcile/actions.js';
import type { ActionResult } from '../../reconcile/apply.js';
import { countChanges } from '../../reconcile/actions.js';
import { describeAction, displayPath } from './describe-action.js';

export function formatPlan(plan: Plan, verbose: boolean): string[] {
  const lines = [...formatGrouped(plan.actions.filter((a) => verbose || describeAction(a).symbol !== ' '), (a) => `${describeAction(a).symbol} ${describeAction(a).text}`)];
  lines.push(...formatProblemsAndNotes(plan));
  const counts = countChanges(plan.actions);
  lines.push(
    counts.create + counts.update + counts.delete === 0
      ? 'No changes. Every managed worktree is in sync.'
      : `Plan: ${counts.create} to create, ${counts.update} to update, ${counts.delete} to delete.`,
  );
  return lines;
}

export function formatResults(plan: Plan, results: readonly ActionResult[], durationMs: number): string[] {
  const shown = results.filter((r) => describeAction(r.action).symbol !== ' ' || r.status === 'failed');
  const byAction = new Map(shown.map((r) => [r.action, r]));
  const lines = formatGrouped(
    shown.map((r) => r.action),
    (action) => {
      const result = byAction.get(action) as ActionResult;
      const { symbol, text } = describeAction(action);
      if (result.status === 'failed') return `✗ ${symbol} ${text}\n    ${result.error?.message ?? 'failed'}`;
      if (result.status === 'skipped') return `- ${symbol} ${text} (skipped after an earlier failure)`;
      return `✓ ${symbol} ${text}`;
    },
  );
  lines.push(...formatProblemsAndNotes(plan));
  const done = results.filter((r) => r.status === 'done').map((r) => r.action);
  const counts = countChanges(done);
  const failed = results.filter((r) => r.status === 'failed').length + plan.problems.length;
  const seconds = (durationMs / 1000).toFixed(1);
  lines.push(
    counts.create + counts.update + counts.delete + failed === 0
      ? `In sync (${seconds}s). Nothing to do.`
      : `Reconciled in ${seconds}s: ${counts.create} created, ${counts.update} updated, ${counts.delete} deleted, ${failed} failed.`,
  );
  return lines;
}

/** Repo, then its own actions, then one heading per worktree (or "gone" for orphans) with its actions. */
function formatGrouped(actions: readonly Action[], line: (action: Action) => string): string[] {
  const byRepo = new Map<string, Map<string, Action[]>>();
  for (const action of actions) {
    const group = action.type === 'ensure-excluded' ? '' : (action.worktreePath ?? GONE);
    const repo = byRepo.get(action.commonDir) ?? new Map<string, Action[]>();
    repo.set(group, [...(repo.get(group) ?? []), action]);
    byRepo.set(action.commonDir, repo);
  }
  const lines: string[] = [];
  for (const [commonDir, groups] of byRepo) {
    lines.push(displayPath(commonDir.replace(/\/\.git$/, '')));
    for (const [group, members] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
      const indent = group === '' ? '  ' : '    ';
      if (group !== '') lines.push(`  ${group === GONE ? 'worktrees that are gone:' : displayPath(group)}`);
      for (const action of members) lines.push(`${indent}${line(action).replace(/\n/g, `\n${indent}`)}`);
    }
    lines.push('');
  }
  return lines;
}

const GONE = '\u0000gone';

function formatProblemsAndNotes(plan: Plan): string[] {
  const lines: string[] = [];
  for (const problem of plan.problems) {
    lines.push(`! ${problem.worktreePath === null ? '' : `${displayPath(problem.worktreePath)}: `}${problem.message}`);
  }
  for (const note of plan.notes) lines.push(`  note: ${note.message}`);
  if (lines.length > 0) lines.push('');
  return lines;
}
