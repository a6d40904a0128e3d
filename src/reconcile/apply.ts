/**
 * apply(plan): runs the planner's actions. Repo-level actions (ignore rules) first, then one task per
 * ledger key through p-queue with bounded concurrency; inside a key the steps run in order
 * (identity, scoped key, env file) and stop at the first failure. One worktree's failure never
 * blocks another's.
 */
import PQueue from 'p-queue';
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import type { Provider } from '../providers/types.js';
import type { Ledger } from '../files/ledger.js';
import { ensureExcluded } from '../git/ignore.js';
import type { Action } from './actions.js';
import type { Observed, ObservedWorktree } from './observed.js';
import type { RepoInventory } from '../git/types.js';
import { runStep } from './apply-steps.js';
import { auditAction } from './apply-audit.js';

export interface ActionResult {
  readonly action: Action;
  readonly status: 'done' | 'failed' | 'skipped';
  readonly error: Error | null;
}

export interface ApplyContext {
  readonly config: Config;
  readonly provider: Provider;
  readonly ledger: Ledger;
  readonly observed: Observed;
  readonly logger: Logger;
  readonly signal?: AbortSignal;
}

/** Where each managed worktree sits, for steps that need more than the action carries. */
export interface WorktreeLookup {
  readonly observed: ObservedWorktree;
  readonly inventory: RepoInventory;
}

const STEP_ORDER: readonly Action['type'][] = [
  'adopt-identity',
  'create-identity',
  'update-entry',
  'clear-orphan',
  'mark-orphan',
  'write-scoped-key',
  'write-env',
  'delete-identity',
  'forget-entry',
];

export async function apply(actions: readonly Action[], context: ApplyContext): Promise<ActionResult[]> {
  const results: ActionResult[] = [];
  for (const action of actions) {
    if (action.type !== 'ensure-excluded') continue;
    try {
      await ensureExcluded(action.commonDir, [...action.patterns]);
      results.push({ action, status: 'done', error: null });
    } catch (error) {
      results.push({ action, status: 'failed', error: asError(error) });
    }
  }
  const lookup = buildLookup(context.observed);
  const queue = new PQueue({ concurrency: context.config.concurrency });
  const groups = groupByKey(actions);
  await Promise.all(
    [...groups.values()].map((group) =>
      queue.add(async () => {
        results.push(...(await runGroup(group, context, lookup)));
      }),
    ),
  );
  await context.ledger.flush();
  return results;
}

async function runGroup(group: Action[], context: ApplyContext, lookup: ReadonlyMap<string, WorktreeLookup>): Promise<ActionResult[]> {
  const results: ActionResult[] = [];
  let failed = false;
  for (const action of group) {
    if (failed || context.signal?.aborted) {
      results.push({ action, status: 'skipped', error: null });
      continue;
    }
    // The entry as it was: a delete removes it, and the audit record still needs its worktree and branch.
    const before = action.type === 'ensure-excluded' ? undefined : context.ledger.get(action.key);
    try {
      await runStep(action, context, lookup);
      results.push({ action, status: 'done', error: null });
      await auditAction(action, null, context, lookup, before);
    } catch (error) {
      failed = true;
      const asErr = asError(error);
      context.logger.warn({ action: action.type, key: 'key' in action ? action.key : null, err: asErr }, 'action failed');
      results.push({ action, status: 'failed', error: asErr });
      await auditAction(action, asErr, context, lookup, before);
    }
  }
  return results;
}

function groupByKey(actions: readonly Action[]): Map<string, Action[]> {
  const groups = new Map<string, Action[]>();
  for (const action of actions) {
    if (action.type === 'ensure-excluded') continue;
    const group = groups.get(action.key) ?? [];
    group.push(action);
    groups.set(action.key, group);
  }
  for (const group of groups.values()) group.sort((a, b) => STEP_ORDER.indexOf(a.type) - STEP_ORDER.indexOf(b.type));
  return groups;
}

function buildLookup(observed: Observed): Map<string, WorktreeLookup> {
  const lookup = new Map<string, WorktreeLookup>();
  for (const repo of observed.repos) {
    if (!repo.inventory.ok) continue;
    for (const worktree of repo.worktrees) {
      if (worktree.key !== null) lookup.set(worktree.key, { observed: worktree, inventory: repo.inventory.value });
    }
  }
  return lookup;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
