/**
 * apply(plan): runs the planner's actions in four phases, so an identity a lease gives back can be
 * leased again in the same pass and nothing is deleted while a worktree might still take it:
 *   1. repo ignore rules (before any secret touches a worktree);
 *   2. the pool's side: leases that end, records adopted or forgotten (one task per identity);
 *   3. one task per worktree through p-queue: its identity (lease, create, adopt), its scoped key, its env
 *      file, in order, stopping at the first failure; `concurrency` bounds the provider calls in flight;
 *   4. deletions of idle identities, one at a time (a refusal is remembered before the next is tried).
 * One worktree's failure never blocks another's.
 */
import PQueue from 'p-queue';
import type { Logger } from '../util/logger.js';
import type { Config } from '../config/types.js';
import type { Provider, ScopedKey } from '../providers/types.js';
import type { Ledger } from '../files/ledger.js';
import type { PortLedger } from '../ports/port-ledger.js';
import { appendExcludes } from '../git/ignore.js';
import { actionTarget, type Action } from './actions.js';
import type { Observed, ObservedWorktree, Outcome } from './observed.js';
import type { RepoInventory } from '../git/types.js';
import { runStep } from './apply-steps.js';
import { claimRepo } from './repo-claim.js';
import { writeAhead, type Prepared } from './apply-write-ahead.js';
import { mintEarly, type EarlyKey } from './apply-early-keys.js';
import { auditAction } from './apply-audit.js';
import { limitCalls } from './call-limit.js';
import { WriteCheckLooks } from './apply-ignore.js';

export interface ActionResult {
  readonly action: Action;
  readonly status: 'done' | 'failed' | 'skipped';
  readonly error: Error | null;
  /** What happened instead, when the step chose not to act (e.g. the provider refuses deletion). */
  readonly note?: string;
}

export interface ApplyContext {
  readonly config: Config;
  readonly provider: Provider;
  readonly ledger: Ledger;
  readonly ports: PortLedger;
  readonly observed: Observed;
  readonly logger: Logger;
  readonly signal?: AbortSignal;
  /** Clock for tests. @default Date.now */
  readonly now?: () => number;
  /** Set by apply: the patterns its ensure-excluded steps made sure of in each repo's info/exclude, by common dir. */
  readonly excluded?: ReadonlyMap<string, ReadonlySet<string>>;
  /** Set by apply: the lines those steps appended (so last in the file), by common dir: apply-ignore.ts trusts them. */
  readonly appendedExcludes?: ReadonlyMap<string, readonly string[]>;
  /**
   * Set by apply: the looks its last checks before a write share (apply-ignore.ts), so 500 worktrees do not each
   * resolve, stat and read the repo's files again; renewed when a step appends to info/exclude.
   */
  readonly ignoreLooks?: WriteCheckLooks;
  /**
   * Set by apply: keys that came with this pass's creates (Ravi's `api_key`), by identity uuid, each taken once by
   * that worktree's scoped-key step instead of a mint call. Memory only: a key lost in a crash is minted again.
   */
  readonly issuedKeys?: Map<string, ScopedKey>;
  /** The vault's answer, for a pass that planned before it came (late-vault.ts): env steps wait for it. */
  readonly vaultLater?: Promise<Outcome<ReadonlyMap<string, string>>>;
  /** Set by apply: lease keys asked for while the write-ahead went to disk, by worktree key (apply-early-keys.ts). */
  readonly earlyKeys?: Map<string, EarlyKey>;
}

/** Where each managed worktree sits, for steps that need more than the action carries. */
export interface WorktreeLookup {
  readonly observed: ObservedWorktree;
  readonly inventory: RepoInventory;
}

/**
 * A step may decline to act and say why, or say what it did when that differs from the plan (`carriedOut`: an
 * env file written with the vault's answer the plan did not have, late-vault.ts); it throws when it fails.
 */
export type StepOutcome = void | { readonly note: string } | { readonly carriedOut: Action };

type Phase = 'pool' | 'worktree' | 'delete';

/** Groups worked on at once; their provider calls are bounded by `concurrency` on their own (call-limit.ts). */
const WORKTREES_AT_ONCE = 16;

const STEP_ORDER: readonly Action['type'][] = [
  // the pool's side
  'adopt-identity',
  'forget-identity',
  'mark-orphan',
  'clear-orphan',
  'release-lease',
  'release-ports',
  'forget-worktree',
  // a worktree's side
  'revive-worktree',
  'create-identity',
  'lease-identity',
  'update-lease',
  'update-ports',
  'assign-ports',
  'write-scoped-key',
  'write-env',
  'delete-identity',
];

export async function apply(planned: readonly Action[], context: ApplyContext): Promise<ActionResult[]> {
  const results: ActionResult[] = [];
  // Claims first: a repo another state dir claimed in the meantime is left entirely alone.
  const refused = new Set<string>();
  for (const action of planned) {
    if (action.type !== 'claim-repo') continue;
    try {
      await claimRepo(action.commonDir, context.config.stateDir, { takeOver: action.takeOver });
      results.push({ action, status: 'done', error: null });
    } catch (error) {
      refused.add(action.commonDir);
      results.push({ action, status: 'failed', error: asError(error) });
    }
  }
  const actions = planned.filter((action) => action.type !== 'claim-repo' && !refused.has(commonDirOf(action) ?? ''));
  for (const action of planned) if (action.type !== 'claim-repo' && refused.has(commonDirOf(action) ?? '')) results.push({ action, status: 'skipped', error: null });
  const excluded = new Map<string, ReadonlySet<string>>();
  const appendedExcludes = new Map<string, readonly string[]>();
  for (const action of actions) {
    if (action.type !== 'ensure-excluded') continue;
    try {
      const appended = await appendExcludes(action.commonDir, [...action.patterns]);
      if (appended.length > 0) appendedExcludes.set(action.commonDir, [...(appendedExcludes.get(action.commonDir) ?? []), ...appended]);
      excluded.set(action.commonDir, new Set([...(excluded.get(action.commonDir) ?? []), ...action.patterns]));
      results.push({ action, status: 'done', error: null });
    } catch (error) {
      results.push({ action, status: 'failed', error: asError(error) });
    }
  }
  const lookup = buildLookup(context.observed);
  const ignoreLooks = new WriteCheckLooks();
  const issuedKeys = new Map<string, ScopedKey>();
  const earlyKeys = new Map<string, EarlyKey>();
  const steps: ApplyContext = { ...context, provider: limitCalls(context.provider, context.config.concurrency), excluded, appendedExcludes, ignoreLooks, issuedKeys, earlyKeys };
  const queue = new PQueue({ concurrency: WORKTREES_AT_ONCE });
  let prepared = new Map<Action, Prepared>();
  for (const phase of ['pool', 'worktree', 'delete'] as const) {
    const groups = groupsOf(actions, phase);
    // Every create intent, lease and port block of the worktrees, on disk in one append before any is acted on.
    if (phase === 'worktree') {
      const mintWhileFlushing = (recorded: ReadonlySet<Action>) => {
        for (const [key, early] of mintEarly(groups, recorded, steps)) earlyKeys.set(key, early);
      };
      prepared = await writeAhead(groups.flat(), context, new Date((context.now ?? Date.now)()).toISOString(), mintWhileFlushing);
    }
    queue.concurrency = phase === 'delete' ? 1 : WORKTREES_AT_ONCE;
    await Promise.all(groups.map((group) => queue.add(async () => void results.push(...(await runGroup(group, steps, lookup, prepared))))));
  }
  // A key asked for early whose worktree stopped before its scoped-key step: let the call end before apply does.
  await Promise.all([...earlyKeys.values()].map((early) => early.outcome));
  await Promise.all([context.ledger.flush(), context.ports.flush()]);
  return results;
}

async function runGroup(group: Action[], context: ApplyContext, lookup: ReadonlyMap<string, WorktreeLookup>, prepared: ReadonlyMap<Action, Prepared>): Promise<ActionResult[]> {
  const results: ActionResult[] = [];
  // Audit records are made right after each step (from the ledger as it is then) and go out with the group commit
  // of the audit log; the group waits for them at its end, not between its steps (an fsync each on its way).
  const audits: Promise<void>[] = [];
  let failed = false;
  for (const action of group) {
    if (failed || context.signal?.aborted) {
      results.push({ action, status: 'skipped', error: null });
      continue;
    }
    // The record as it was: a delete removes it, and the audit record still needs its worktree and branch.
    const name = 'name' in action ? action.name : null;
    const before = name === null ? undefined : context.ledger.identity(name);
    try {
      const pre = prepared.get(action);
      if (pre !== undefined && !pre.ok) throw pre.error; // its write-ahead record was refused or did not land
      const ran = await runStep(action, context, lookup);
      const done = ran !== undefined && 'carriedOut' in ran ? ran.carriedOut : action;
      const outcome = (ran !== undefined && 'note' in ran ? ran : undefined) ?? (pre?.ok === true && pre.note !== undefined ? { note: pre.note } : undefined);
      results.push(outcome ? { action: done, status: 'done', error: null, note: outcome.note } : { action: done, status: 'done', error: null });
      audits.push(auditAction(done, null, context, lookup, before, outcome ? outcome.note : null));
    } catch (error) {
      failed = true;
      const asErr = asError(error);
      context.logger.warn({ action: action.type, identity: name, err: asErr }, 'action failed');
      results.push({ action, status: 'failed', error: asErr });
      audits.push(auditAction(action, asErr, context, lookup, before, null));
    }
  }
  await Promise.all(audits); // auditAction logs a failed write and never rejects
  return results;
}

/** The repo an action belongs to; null for the pool's own upkeep. */
function commonDirOf(action: Action): string | null {
  if (action.type === 'ensure-excluded' || action.type === 'claim-repo') return action.commonDir;
  return actionTarget(action)?.commonDir ?? null;
}

function phaseOf(action: Action): Phase | null {
  if (action.type === 'ensure-excluded' || action.type === 'claim-repo') return null;
  if (action.type === 'delete-identity') return 'delete';
  const target = actionTarget(action);
  // A step about a worktree that exists runs with that worktree's other steps; the rest is the pool's side.
  const releases = action.type === 'release-lease' || action.type === 'release-ports';
  return target !== null && target.worktreePath !== null && !releases ? 'worktree' : 'pool';
}

/** Worktree phase: one group per worktree; pool and delete phases: one group per identity. */
function groupsOf(actions: readonly Action[], phase: Phase): Action[][] {
  const groups = new Map<string, Action[]>();
  for (const action of actions) {
    if (phaseOf(action) !== phase) continue;
    const target = actionTarget(action);
    const key = phase === 'worktree' ? `wt:${target?.key}` : 'name' in action ? `id:${action.name}` : `wt:${target?.key ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), action]);
  }
  for (const group of groups.values()) group.sort((a, b) => STEP_ORDER.indexOf(a.type) - STEP_ORDER.indexOf(b.type));
  return [...groups.values()];
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
