/**
 * Human output of `plan` and `reconcile`: per repo its own actions, one heading per worktree (or "gone"
 * for leases of vanished worktrees) and the repo's notes; then the pool; problems. `reconcile` ends with
 * a summary line of what was done; `plan`'s summary is plan-summary.ts.
 */
import { actionTarget, countChanges, type Action, type ChangeCounts, type Note, type Plan } from '../../reconcile/actions.js';
import type { ActionResult } from '../../reconcile/apply.js';
import { describeAction, displayPath } from './describe-action.js';
import { compareText } from '../../util/compare-text.js';

/** The plan's actions, notes and problems; the caller adds the summary line (planSummary). */
export function formatPlan(plan: Plan, verbose: boolean): string[] {
  const shown = plan.actions.filter((a) => verbose || describeAction(a).symbol !== ' ');
  const lines = formatGrouped(shown, plan.notes, (a) => `${describeAction(a).symbol} ${describeAction(a).text}`);
  lines.push(...formatProblems(plan));
  return lines;
}

export function formatResults(plan: Plan, results: readonly ActionResult[], durationMs: number): string[] {
  const shown = results.filter((r) => describeAction(r.action).symbol !== ' ' || r.status === 'failed');
  const byAction = new Map(shown.map((r) => [r.action, r]));
  const lines = formatGrouped(
    shown.map((r) => r.action),
    plan.notes,
    (action) => {
      const result = byAction.get(action) as ActionResult;
      const { symbol, text } = describeAction(action);
      if (result.status === 'failed') return `✗ ${symbol} ${text}\n    ${result.error?.message ?? 'failed'}`;
      if (result.status === 'skipped') return `- ${symbol} ${text} (skipped after an earlier failure)`;
      return result.note === undefined ? `✓ ${symbol} ${text}` : `✓ ${symbol} ${text}\n    ${result.note}`;
    },
  );
  lines.push(...formatProblems(plan));
  // A deletion the provider refused is done (remembered, nothing failed) but deleted nothing.
  const done = results.filter((r) => r.status === 'done' && !(r.action.type === 'delete-identity' && r.note !== undefined)).map((r) => r.action);
  const counts = countChanges(done);
  const failed = results.filter((r) => r.status === 'failed').length + plan.problems.length;
  const seconds = (durationMs / 1000).toFixed(1);
  lines.push(
    total(counts) + failed === 0
      ? `In sync (${seconds}s). Nothing to do.`
      : `Reconciled in ${seconds}s: ${describeCounts(counts, '')}, ${failed} failed.`,
  );
  return lines;
}

export function total(counts: ChangeCounts): number {
  return counts.create + counts.lease + counts.release + counts.update + counts.delete;
}

/** "1 to create, 2 to lease, ..." or "1 created, 2 leased, ...". */
export function describeCounts(counts: ChangeCounts, verb: 'to ' | ''): string {
  const words = verb === '' ? { create: 'created', lease: 'leased', release: 'released', update: 'updated', delete: 'deleted' } : { create: 'to create', lease: 'to lease', release: 'to release', update: 'to update', delete: 'to delete' };
  return (['create', 'lease', 'release', 'update', 'delete'] as const).map((kind) => `${counts[kind]} ${words[kind]}`).join(', ');
}

const GONE = '\u0000gone';
const POOL = '\u0000pool';

/** Repo, then its own actions, one heading per worktree (or "gone") with its actions, the repo's notes; then the pool. */
function formatGrouped(actions: readonly Action[], notes: readonly Note[], line: (action: Action) => string): string[] {
  const byRepo = new Map<string, Map<string, Action[]>>();
  const add = (repo: string, group: string, action: Action | null) => {
    const groups = byRepo.get(repo) ?? new Map<string, Action[]>();
    if (action !== null) groups.set(group, [...(groups.get(group) ?? []), action]);
    byRepo.set(repo, groups);
  };
  for (const action of actions) {
    if (action.type === 'ensure-excluded' || action.type === 'claim-repo') add(action.commonDir, '', action);
    else {
      const target = actionTarget(action);
      if (target === null) add(POOL, '', action);
      else add(target.commonDir, target.worktreePath ?? GONE, action);
    }
  }
  for (const note of notes) add(note.commonDir ?? POOL, '', null);
  const lines: string[] = [];
  const repos = [...byRepo.keys()].sort((a, b) => Number(a === POOL) - Number(b === POOL) || compareText(a, b));
  for (const repo of repos) {
    const groups = byRepo.get(repo) as Map<string, Action[]>;
    lines.push(repo === POOL ? 'identity pool' : displayPath(repo.replace(/\/\.git$/, '')));
    for (const [group, members] of [...groups].sort(([a], [b]) => compareText(a, b))) {
      const indent = group === '' ? '  ' : '    ';
      if (group !== '') lines.push(`  ${group === GONE ? 'worktrees that are gone:' : displayPath(group)}`);
      for (const action of members) lines.push(`${indent}${line(action).replace(/\n/g, `\n${indent}`)}`);
    }
    for (const note of notes.filter((n) => (n.commonDir ?? POOL) === repo)) lines.push(`  note: ${note.message}`);
    lines.push('');
  }
  return lines;
}

function formatProblems(plan: Plan): string[] {
  const lines = plan.problems.map((problem) => `! ${problem.worktreePath === null ? '' : `${displayPath(problem.worktreePath)}: `}${problem.message}`);
  if (lines.length > 0) lines.push('');
  return lines;
}
