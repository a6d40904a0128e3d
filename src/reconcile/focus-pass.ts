/**
 * A focused pass: the daemon's answer to `git worktree add`, at a cost that does not grow with the repo's other
 * worktrees. The git watch says which admin ids just appeared; this pass lists only those entries
 * (git/worktree-entries.ts), reads only their files, and gives each the lease (or the create) and the files the
 * full pass would give it: the same planner, told nothing of the other worktrees (observe-focus.ts), keeping
 * only the actions for the named worktrees (and their repo's ignore rules). It ends no lease, marks no orphan,
 * deletes nothing and does no pool upkeep. The daemon runs the full pass right after, in the same run: the
 * watch's hint only orders the work, the full pass still reads the whole truth and repairs whatever this one
 * did not see (level-triggered, DESIGN.md).
 */
import { acquireStateLock } from '../files/state-lock.js';
import { worktreeKey } from '../files/ledger.js';
import { readNamedWorktrees, type SkipReason } from '../git/worktree-entries.js';
import { actionTarget, type Action, type Plan } from './actions.js';
import type { ActionResult } from './apply.js';
import { openLedger, openPorts, type PassOptions } from './engine.js';
import { observeFocused } from './observe-focus.js';
import type { Observed } from './observed.js';
import { monotonicMs } from '../util/elapsed.js';

export interface FocusedPassReport {
  /** Null when no named entry could be served. */
  readonly observed: Observed | null;
  readonly plan: Plan;
  readonly results: readonly ActionResult[];
  /** The keys of the worktrees this pass served. */
  readonly keys: readonly string[];
  /** Named admin ids it left to the full pass, with why. */
  readonly skipped: ReadonlyMap<string, SkipReason>;
  readonly durationMs: number;
}

/**
 * One repo (`options.config.repos` holds exactly it), the worktrees with these admin ids. Null when the repo is
 * not plain enough to read in-process: the full pass does it all then.
 */
export async function runFocusedPass(options: PassOptions & { readonly adminIds: readonly string[] }): Promise<FocusedPassReport | null> {
  const started = monotonicMs();
  const repoPath = options.config.repos[0];
  if (options.config.repos.length !== 1 || repoPath === undefined || options.adminIds.length === 0) return null;
  const lock = options.mode === 'apply' ? await acquireStateLock(options.config.stateDir, { waitMs: options.lockWaitMs }) : null;
  try {
    const now = (options.now ?? Date.now)();
    const named = await readNamedWorktrees(repoPath, options.adminIds);
    if (named === null) return null;
    const [ledger, ports] = await Promise.all([openLedger(options), openPorts(options)]);
    const skipped = new Map<string, SkipReason>(named.skipped);
    const { commonDir } = named.inventory;
    // A worktree a teardown released gets no identity from a full pass (only `reconcile --worktree` revives one):
    // nor from this one, which leaves it to the full pass.
    const ledgerState = ledger.state(); // a copy: once, not per worktree
    const worktrees = named.inventory.worktrees.filter((worktree) => {
      const released = ledgerState.released.has(worktreeKey(commonDir, worktree.adminId as string));
      if (released) skipped.set(worktree.adminId as string, 'released by teardown');
      return !released;
    });
    if (worktrees.length === 0) return { observed: null, plan: { actions: [], problems: [], notes: [] }, results: [], keys: [], skipped, durationMs: monotonicMs() - started };
    const inventory = { ...named.inventory, worktrees };
    const seen = await observeFocused(repoPath, inventory, options.config, options.provider, { ledger: ledgerState, ports: ports.state() }, { now, signal: options.signal });
    const observed = options.memory?.vanished.hold(seen).observed ?? seen; // the full pass after it says when to look again
    const keys = worktrees.map((worktree) => worktreeKey(commonDir, worktree.adminId as string));
    const { plan } = await import('./plan.js');
    // No focusKey: a setup's focus may revive a released worktree and jump the queue; the daemon's may not.
    const planned = keepFocused(plan(observed, options.config, { focusKey: null, takeOver: options.takeOver === true }), new Set(keys));
    let results: ActionResult[] = [];
    if (options.mode === 'apply' && planned.actions.length > 0) {
      const { apply } = await import('./apply.js');
      results = await apply(planned.actions, { config: options.config, provider: options.provider, ledger, ports, observed, logger: options.logger, signal: options.signal, now: options.now });
    }
    if (options.mode === 'apply') options.memory?.vanished.record(observed, results, false);
    return { observed, plan: planned, results, keys, skipped, durationMs: monotonicMs() - started };
  } finally {
    await lock?.release();
  }
}

/**
 * The named worktrees' actions and their repo's (its claim, its ignore rules). The planner saw no other worktree
 * of the repo (observe-focus.ts), so it planned nothing for them; this keeps that true whatever the planner
 * becomes: an action without a named worktree as its target is never applied by a focused pass.
 */
function keepFocused(planned: Plan, keys: ReadonlySet<string>): Plan {
  const keep = (action: Action) => {
    if (action.type === 'ensure-excluded' || action.type === 'claim-repo') return true;
    if (action.type === 'delete-identity') return false;
    const target = actionTarget(action);
    return target !== null && keys.has(target.key);
  };
  return { actions: planned.actions.filter(keep), problems: planned.problems, notes: [] };
}
