/**
 * plan(observed, config) -> actions. Pure: no I/O, no clock (the pass's `now` is observed), so it is
 * tested with tables. The pool model of DESIGN.md lives here: a worktree leases an idle identity (or,
 * when none may be had, the one we create for it); a gone worktree's lease ends after the grace period;
 * idle identities rest in quarantine; only idle ones beyond `pool.keepIdle` are deleted, never on doubt.
 */
import type { Config } from '../config/types.js';
import type { Identity } from '../providers/types.js';
import type { LedgerIdentity, LedgerState } from '../files/ledger.js';
import type { PortState } from '../ports/port-ledger.js';
import { needsIdentities } from './desired-env.js';
import { planLeftoverPorts, reportMissingPorts, type PortFacts } from './plan-ports.js';
import type { Action, Note, Plan, Problem } from './actions.js';
import { VaultNotYetRead, type Observed, type ObservedRepo } from './observed.js';
import { planHeldOrWanting, type Wanting } from './plan-worktree.js';
import { planAcquisitions } from './plan-acquire.js';
import { planLeftovers } from './plan-leftovers.js';
import { planPoolUpkeep } from './plan-pool.js';
import { compareText } from '../util/compare-text.js';

export type PlanConfig = Pick<Config, 'identity' | 'env' | 'orphans' | 'pool' | 'ports'> & { readonly provider: Pick<Config['provider'], 'kind'> };

export interface PlanOptions {
  /**
   * The worktree a setup asked for (`reconcile --worktree`): it is served first, and a teardown's
   * release of it is undone.
   */
  readonly focusKey?: string | null;
  /** Manage repos another state dir claimed (`--take-over`). */
  readonly takeOver?: boolean;
}

/** Shared, per-pass facts and the plan being built. */
export interface PlanContext {
  readonly config: PlanConfig;
  readonly now: number;
  /** Null when listing identities failed: no identity is then created, leased, adopted or deleted. */
  readonly identities: readonly Identity[] | null;
  readonly identityByUuid: ReadonlyMap<string, Identity>;
  /** Why the listing cannot be trusted to say an identity is gone, or null. */
  readonly listingDoubt: string | null;
  /** Null when the vault could not be read (env files are then left as they are). */
  readonly vault: ReadonlyMap<string, string> | null;
  readonly vaultError: Error | null;
  readonly issuesScopedKeys: boolean;
  readonly focusKey: string | null;
  readonly ledger: LedgerState;
  /** Whether worktrees lease identities at all (not for a config that only wants ports, say). */
  readonly identitiesNeeded: boolean;
  readonly ports: PortState;
  /** Blocks this plan assigns, worktrees it could not give one, blocks it releases (by worktree key). */
  readonly portsTaken: PortFacts[];
  readonly portsWanted: string[];
  readonly portsReleased: Set<string>;
  /** Worktree key -> the identities whose lease it holds (more than one only after a bug). */
  readonly heldBy: ReadonlyMap<string, readonly LedgerIdentity[]>;
  /** Names in use by any identity or ledger record; grows as the plan assigns names. */
  readonly takenNames: Set<string>;
  /** Idle identities this plan hands to a worktree. */
  readonly leasedNow: Set<string>;
  /** Identities whose lease this plan ends. */
  readonly releasedNow: Set<string>;
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
  if (context.identities !== null && context.listingDoubt !== null) {
    context.problems.push({ commonDir: null, worktreePath: null, message: `No identity is forgotten or deleted this pass: ${context.listingDoubt}` });
  } else if (context.identities === null && !observed.identities.ok) {
    context.problems.push({ commonDir: null, worktreePath: null, message: `Listing identities failed: ${observed.identities.error.message}` });
  }
  const wanting: Wanting[] = [];
  const excludes = new Map<string, Set<string>>();
  for (const repo of observed.repos) {
    if (repo.claim?.state === 'other' && options.takeOver !== true) {
      context.problems.push({ commonDir: null, worktreePath: null, message: repo.claim.problem.message });
      continue; // another state dir manages it: nothing of it is touched, no lease of it ends
    }
    planRepo(repo, context, wanting, excludes);
  }
  planAcquisitions(wanting, context);
  planPoolUpkeep(context);
  reportMissingPorts(context);
  // Before any worktree file is written (apply runs repo actions first); known only once every worktree is planned.
  const ensure: Action[] = [...excludes].filter(([, patterns]) => patterns.size > 0).map(([commonDir, patterns]) => ({ type: 'ensure-excluded', commonDir, patterns: [...patterns].sort() }));
  return { actions: [...claims(observed, options), ...ensure, ...context.actions], problems: context.problems, notes: context.notes };
}

/** Repos this state dir is about to manage for the first time (or take over) record it first. */
function claims(observed: Observed, options: PlanOptions): Action[] {
  return observed.repos.flatMap((repo): Action[] => {
    if (!repo.inventory.ok || repo.claim === null || repo.claim.state === 'ours') return [];
    if (repo.claim.state === 'other' && options.takeOver !== true) return [];
    return [{ type: 'claim-repo', commonDir: repo.inventory.value.commonDir, takeOver: repo.claim.state === 'other' }];
  });
}

function planRepo(repo: ObservedRepo, context: PlanContext, wanting: Wanting[], excludes: Map<string, Set<string>>): void {
  if (!repo.inventory.ok) {
    context.problems.push({ commonDir: null, worktreePath: null, message: `${repo.repoPath}: ${repo.inventory.error.message}` });
    context.notes.push({ commonDir: null, message: `${repo.repoPath}: no lease of this repo ends this pass, because its worktrees could not be listed` });
    return;
  }
  const inventory = repo.inventory.value;
  const excludePatterns = excludes.get(inventory.commonDir) ?? new Set<string>();
  excludes.set(inventory.commonDir, excludePatterns);
  const managed = repo.worktrees.filter((observed) => observed.managed && observed.key !== null);
  const managedKeys = new Set(managed.map((observed) => observed.key as string));
  // Blocks of gone worktrees first, so a new worktree of this repo may take one in the same pass.
  if (repo.partial !== true) planLeftoverPorts(repo, inventory, managedKeys, context);
  for (const observed of managed) {
    const want = planHeldOrWanting(observed, inventory, context, excludePatterns);
    if (want !== null) wanting.push(want);
  }
  if (repo.partial !== true) planLeftovers(repo, inventory, managedKeys, context);
}

function createContext(observed: Observed, config: PlanConfig, options: PlanOptions): PlanContext {
  const ledger = observed.ledger;
  const identities = observed.identities.ok ? observed.identities.value : null;
  // Built in place, not from spread copies: a focused pass plans one worktree against every identity of the ledger,
  // and at 2000 the copies (an array per lease) were most of its planning and of the garbage it left.
  const takenNames = new Set<string>(ledger.identities.keys());
  const identityByUuid = new Map<string, Identity>();
  for (const identity of identities ?? []) {
    takenNames.add(identity.name);
    identityByUuid.set(identity.uuid, identity);
  }
  const heldBy = new Map<string, LedgerIdentity[]>();
  for (const identity of ledger.identities.values()) {
    if (identity.lease === null) continue;
    const held = heldBy.get(identity.lease.worktreeKey);
    if (held === undefined) heldBy.set(identity.lease.worktreeKey, [identity]);
    else held.push(identity);
  }
  return {
    config,
    now: observed.now,
    identities,
    identityByUuid,
    listingDoubt: listingDoubt(observed),
    vault: vaultOf(observed),
    vaultError: observed.vault !== null && !observed.vault.ok && !(observed.vault.error instanceof VaultNotYetRead) ? observed.vault.error : null,
    issuesScopedKeys: observed.issuesScopedKeys,
    focusKey: options.focusKey ?? null,
    ledger,
    identitiesNeeded: needsIdentities(config),
    ports: observed.ports,
    portsTaken: [],
    portsWanted: [],
    portsReleased: new Set(),
    heldBy,
    takenNames,
    leasedNow: new Set(),
    releasedNow: new Set(),
    actions: [],
    problems: [],
    notes: [],
  };
}

/**
 * Never act on doubt: a failed listing, or a listing that suddenly holds none of the identities the
 * ledger owns (an empty page, a wrong account), must not make us forget, re-create or delete anything.
 */
export function listingDoubt(observed: Observed): string | null {
  if (!observed.identities.ok) return `listing identities failed (${observed.identities.error.message})`;
  const owned = [...observed.ledger.identities.values()].filter((i) => i.state === 'ready' && i.uuid !== null);
  if (owned.length === 0) return null;
  const listed = new Set(observed.identities.value.map((i) => i.uuid));
  if (owned.some((i) => listed.has(i.uuid as string))) return null;
  if (observed.identities.value.length === 0 || owned.length >= 3) {
    return `the provider lists none of the ${owned.length} identities the ledger owns, which looks wrong (another account, or a partial listing)`;
  }
  return null;
}

/** The vault's secrets; empty when none are configured, null when reading it failed (or it has not answered yet). */
export function vaultOf(observed: Observed): ReadonlyMap<string, string> | null {
  return vaultFrom(observed.vault);
}

export function vaultFrom(read: Observed['vault']): ReadonlyMap<string, string> | null {
  if (read === null) return new Map();
  return read.ok ? read.value : null;
}

/** After a crash, adopt by exact name; if several match, the oldest (the one created first). */
export function oldestNamed(identities: readonly Identity[], name: string): Identity | null {
  const matches = identities.filter((i) => i.name === name);
  matches.sort((a, b) => compareText(a.createdAt ?? '', b.createdAt ?? '') || compareText(a.uuid, b.uuid));
  return matches[0] ?? null;
}
