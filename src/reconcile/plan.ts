/**
 * plan(observed, config) -> actions. Pure: no I/O, no clock (the pass's `now` is observed), so it is
 * tested with tables. Safety rules of DESIGN.md live here: only ledger-owned identities are deleted,
 * never on doubt, never inside the grace period, never for a locked worktree.
 */
import type { Config } from '../config/types.js';
import type { Identity } from '../providers/types.js';
import type { LedgerEntry } from '../files/ledger.js';
import type { Action, Note, Plan, Problem } from './actions.js';
import type { Observed, ObservedRepo } from './observed.js';
import { planManagedWorktree } from './plan-worktree.js';
import { planLeftoverEntry } from './plan-orphans.js';

export type PlanConfig = Pick<Config, 'identity' | 'env' | 'orphans'>;

export interface PlanOptions {
  /** A worktree whose identity a teardown released gets a new one only when a setup asks (`reconcile --worktree`). */
  readonly reviveKey?: string | null;
}

/** Shared, per-pass facts and the plan being built. */
export interface PlanContext {
  readonly config: PlanConfig;
  readonly now: number;
  /** Null when listing identities failed: no identity is then created, adopted or deleted. */
  readonly identities: readonly Identity[] | null;
  readonly identityByUuid: ReadonlyMap<string, Identity>;
  /** Why identities must not be deleted this pass, or null when deleting is safe. */
  readonly deletionBlocked: string | null;
  /** Null when the vault could not be read (env files are then left as they are). */
  readonly vault: ReadonlyMap<string, string> | null;
  readonly vaultError: Error | null;
  readonly issuesScopedKeys: boolean;
  readonly reviveKey: string | null;
  readonly ledger: ReadonlyMap<string, LedgerEntry>;
  /** Names in use by any identity or ledger entry; grows as the plan assigns names. */
  readonly takenNames: Set<string>;
  readonly actions: Action[];
  readonly problems: Problem[];
  readonly notes: Note[];
}

export function plan(observed: Observed, config: PlanConfig, options: PlanOptions = {}): Plan {
  const context = createContext(observed, config, options);
  if (context.vaultError !== null) {
    context.problems.push({
      commonDir: null,
      worktreePath: null,
      message: `Reading the vault failed, so secrets keep the values already written: ${context.vaultError.message}`,
    });
  }
  if (context.identities !== null && context.deletionBlocked !== null) {
    context.problems.push({ commonDir: null, worktreePath: null, message: `No identity is deleted or re-created this pass: ${context.deletionBlocked}` });
  } else if (context.identities === null && !observed.identities.ok) {
    context.problems.push({ commonDir: null, worktreePath: null, message: `Listing identities failed: ${observed.identities.error.message}` });
  }
  for (const repo of observed.repos) planRepo(repo, context);
  return { actions: context.actions, problems: context.problems, notes: context.notes };
}

function planRepo(repo: ObservedRepo, context: PlanContext): void {
  if (!repo.inventory.ok) {
    context.problems.push({ commonDir: null, worktreePath: null, message: `${repo.repoPath}: ${repo.inventory.error.message}` });
    context.notes.push({ commonDir: null, message: `${repo.repoPath}: no identity of this repo is deleted this pass, because its worktrees could not be listed` });
    return;
  }
  const { commonDir } = repo.inventory.value;
  const excludePatterns = new Set<string>();
  const managedKeys = new Set<string>();
  for (const observed of repo.worktrees) {
    if (!observed.managed || observed.key === null) continue;
    managedKeys.add(observed.key);
    planManagedWorktree(observed, repo.inventory.value, context, excludePatterns);
  }
  if (excludePatterns.size > 0) {
    // Before any worktree file is written (apply runs repo actions first).
    context.actions.unshift({ type: 'ensure-excluded', commonDir, patterns: [...excludePatterns].sort() });
  }
  const byAdminId = new Map(repo.worktrees.map((w) => [w.worktree.adminId, w]));
  for (const entry of context.ledger.values()) {
    if (entry.commonDir !== commonDir || managedKeys.has(entry.key)) continue;
    planLeftoverEntry(entry, byAdminId.get(entry.adminId) ?? null, context);
  }
}

function createContext(observed: Observed, config: PlanConfig, options: PlanOptions): PlanContext {
  const ledger = new Map(observed.ledger.map((entry) => [entry.key, entry]));
  const identities = observed.identities.ok ? observed.identities.value : null;
  const takenNames = new Set<string>([...observed.ledger.map((e) => e.name), ...(identities ?? []).map((i) => i.name)]);
  const vault = vaultOf(observed);
  return {
    config,
    now: observed.now,
    identities,
    identityByUuid: new Map((identities ?? []).map((i) => [i.uuid, i])),
    deletionBlocked: deletionBlockedReason(observed),
    vault,
    vaultError: observed.vault !== null && !observed.vault.ok ? observed.vault.error : null,
    issuesScopedKeys: observed.issuesScopedKeys,
    reviveKey: options.reviveKey ?? null,
    ledger,
    takenNames,
    actions: [],
    problems: [],
    notes: [],
  };
}

/**
 * Never delete on doubt: a failed listing, or a listing that suddenly holds none of the identities
 * the ledger owns (an empty page, a wrong account), stops every deletion and re-creation this pass.
 */
export function deletionBlockedReason(observed: Observed): string | null {
  if (!observed.identities.ok) return `listing identities failed (${observed.identities.error.message})`;
  const owned = observed.ledger.filter((e) => e.state === 'active' && e.uuid !== null);
  if (owned.length === 0) return null;
  const listed = new Set(observed.identities.value.map((i) => i.uuid));
  const present = owned.filter((e) => listed.has(e.uuid as string)).length;
  if (present > 0) return null;
  if (observed.identities.value.length === 0 || owned.length >= 3) {
    return `the provider lists none of the ${owned.length} identities the ledger owns, which looks wrong (another account, or a partial listing)`;
  }
  return null;
}

/** The vault's secrets; empty when none are configured, null when reading it failed. */
export function vaultOf(observed: Observed): ReadonlyMap<string, string> | null {
  if (observed.vault === null) return new Map();
  return observed.vault.ok ? observed.vault.value : null;
}
