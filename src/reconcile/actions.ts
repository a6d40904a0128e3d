/** The planner's output: what reconcile will do, as data (printed by `plan`, executed by apply). */
import type { Identity } from '../providers/types.js';

/** A step for one worktree (its key survives `git worktree move`). */
interface WorktreeTarget {
  readonly key: string;
  readonly commonDir: string;
  /** Null when the worktree is gone (ending an orphan's lease). */
  readonly worktreePath: string | null;
}

/** Who a new lease is for. */
interface LeaseTarget extends WorktreeTarget {
  readonly worktreePath: string;
  readonly adminId: string;
  readonly branch: string | null;
}

export type Action =
  // A worktree takes an identity: an idle one from the pool, else a new one (the only time we create).
  | (LeaseTarget & {
      readonly type: 'create-identity';
      readonly name: string;
      /** The identity this worktree held vanished from the provider (deleted in its web UI). */
      readonly recreate: boolean;
    })
  | (LeaseTarget & {
      readonly type: 'lease-identity';
      readonly name: string;
      readonly uuid: string;
      /** How long it rested in the pool, for people reading the plan. */
      readonly idleMs: number | null;
    })
  /** An interrupted create: the identity of exactly that name is ours (oldest if several). */
  | { readonly type: 'adopt-identity'; readonly name: string; readonly identity: Identity; readonly target: WorktreeTarget | null }
  /** The lease ends: the identity goes back to the pool (orphan after grace, or a duplicate lease). */
  | (WorktreeTarget & { readonly type: 'release-lease'; readonly name: string; readonly reason: string })
  | (WorktreeTarget & { readonly type: 'mark-orphan'; readonly name: string; readonly since: string })
  | (WorktreeTarget & { readonly type: 'clear-orphan'; readonly name: string })
  | (WorktreeTarget & {
      readonly type: 'update-lease';
      readonly name: string;
      readonly branch: string | null;
      readonly email: string | null;
      readonly phone: string | null;
    })
  /** A setup asked again for a worktree a teardown released. */
  | (WorktreeTarget & { readonly type: 'revive-worktree' })
  /** A released worktree is gone: its record goes. */
  | (WorktreeTarget & { readonly type: 'forget-worktree' })
  | (WorktreeTarget & { readonly type: 'write-scoped-key'; readonly file: string; readonly reason: string })
  | (WorktreeTarget & {
      readonly type: 'write-env';
      readonly file: string;
      /** Names of managed keys that change (never values). */
      readonly changedKeys: readonly string[];
      readonly removedLegacyLines: number;
    })
  | { readonly type: 'ensure-excluded'; readonly commonDir: string; readonly patterns: readonly string[] }
  /** This state dir records itself as the repo's manager (repo-claim.ts), before anything else of the repo. */
  | { readonly type: 'claim-repo'; readonly commonDir: string; readonly takeOver: boolean }
  /** The record of an identity that no longer exists, or whose create never happened, goes. */
  | { readonly type: 'forget-identity'; readonly name: string; readonly reason: string; readonly target: WorktreeTarget | null }
  /** A block of ports for a worktree: the first free slot of the range when the step runs (`first` is the plan's guess). */
  | (LeaseTarget & { readonly type: 'assign-ports'; readonly first: number; readonly size: number })
  /** A worktree's block goes back to the range (with its lease: after the grace period, or at once by release). */
  | (WorktreeTarget & { readonly type: 'release-ports'; readonly first: number; readonly size: number; readonly reason: string })
  /** Bookkeeping of a block: its worktree's path, and when it was first seen gone (null: it exists). */
  | (WorktreeTarget & { readonly type: 'update-ports'; readonly path: string | null; readonly orphanedSince: string | null })
  /** An idle identity beyond `pool.keepIdle`, where the provider can delete. */
  | { readonly type: 'delete-identity'; readonly name: string; readonly uuid: string; readonly reason: string };

export type ActionType = Action['type'];

/** Ledger-only actions: they change no identity and no worktree file, so `plan` does not count them. */
const BOOKKEEPING: ReadonlySet<ActionType> = new Set([
  'mark-orphan',
  'clear-orphan',
  'update-lease',
  'forget-worktree',
  'forget-identity',
  'revive-worktree',
  'claim-repo',
  'update-ports',
]);

export function isChange(action: Action): boolean {
  return !BOOKKEEPING.has(action.type);
}

export type ChangeKind = 'create' | 'lease' | 'release' | 'update' | 'delete';

/** How `plan` counts an action; null for ledger bookkeeping. */
export function changeKind(action: Action): ChangeKind | null {
  if (!isChange(action)) return null;
  switch (action.type) {
    case 'create-identity':
      return 'create';
    case 'lease-identity':
      return 'lease';
    case 'release-lease':
    case 'release-ports':
      return 'release';
    case 'assign-ports':
      return 'lease';
    case 'delete-identity':
      return 'delete';
    default:
      return 'update';
  }
}

export type ChangeCounts = Readonly<Record<ChangeKind, number>>;

export function countChanges(actions: readonly Action[]): ChangeCounts {
  const counts: Record<ChangeKind, number> = { create: 0, lease: 0, release: 0, update: 0, delete: 0 };
  for (const action of actions) {
    const kind = changeKind(action);
    if (kind !== null) counts[kind] += 1;
  }
  return counts;
}

/** The worktree an action is about, or null for the pool's own upkeep. */
export function actionTarget(action: Action): WorktreeTarget | null {
  if (action.type === 'ensure-excluded' || action.type === 'claim-repo' || action.type === 'delete-identity') return null;
  if (action.type === 'adopt-identity' || action.type === 'forget-identity') return action.target;
  return action;
}

/** The identity an action is about, or null. */
export function actionIdentity(action: Action): string | null {
  return 'name' in action ? action.name : null;
}

/** Something the planner cannot do for a worktree or repo; reported, counted as a failure. */
export interface Problem {
  readonly commonDir: string | null;
  readonly worktreePath: string | null;
  readonly message: string;
}

/** Information for people: an orphan waiting out its grace period, a deletion skipped for safety. */
export interface Note {
  /** Null for notes about the pool or the whole pass. */
  readonly commonDir: string | null;
  readonly message: string;
}

export interface Plan {
  readonly actions: readonly Action[];
  readonly problems: readonly Problem[];
  readonly notes: readonly Note[];
}
