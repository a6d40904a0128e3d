/**
 * The last line of `plan`: what is true of the whole fleet. "In sync" only when nothing is pending and nothing
 * failed; problems (a repo that could not be read, a worktree that could not be checked) and configured repos
 * that do not exist are said, not hidden behind "no changes".
 */
import type { Plan } from '../../reconcile/actions.js';
import { countChanges } from '../../reconcile/actions.js';
import { displayPath } from './describe-action.js';
import { describeCounts, total } from './plan-text.js';

export function planSummary(plan: Plan, missingRepos: readonly string[]): string {
  const counts = countChanges(plan.actions);
  const planned = describeCounts(counts, 'to ');
  if (plan.problems.length === 0) return total(counts) === 0 ? 'No changes. Every managed worktree is in sync.' : `Plan: ${planned}.`;
  const missing = missingRepos.length === 0
    ? ''
    : `; ${missingRepos.length} configured repo${missingRepos.length === 1 ? ' does' : 's do'} not exist (${missingRepos.map(displayPath).join(', ')})`;
  const problems = `${plan.problems.length} problem${plan.problems.length === 1 ? '' : 's'} above`;
  return `Not in sync: ${problems}${missing}. Plan for the rest: ${planned}.`;
}
