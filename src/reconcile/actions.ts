/** The planner's output: what reconcile will do, as data (printed by `plan`, executed by apply). */
import type { Identity } from '../providers/types.js';

interface WorktreeTarget {
  /** Ledger key of the worktree's identity. */
  readonly key: string;
  readonly commonDir: string;
  /** Null when the worktree is gone (an orphan's bookkeeping). */
  readonly worktreePath: string | null;
}

export type Action =
  | (WorktreeTarget & {
      readonly type: 'create-identity';
      readonly adminId: string;
      readonly name: string;
      readonly branch: string | null;
      /** The identity we owned vanished from the provider (deleted in its web UI). */
      readonly recreate: boolean;
    })
  | (WorktreeTarget & { readonly type: 'adopt-identity'; readonly identity: Identity })
  | (WorktreeTarget & { readonly type: 'write-scoped-key'; readonly file: string; readonly reason: string })
  | (WorktreeTarget & {
      readonly type: 'write-env';
      readonly file: string;
      /** Names of managed keys that change (never values). */
      readonly changedKeys: readonly string[];
      readonly removedLegacyLines: number;
    })
  | { readonly type: 'ensure-excluded'; readonly commonDir: string; readonly patterns: readonly string[] }
  | (WorktreeTarget & {
      readonly type: 'delete-identity';
      readonly uuid: string;
      readonly name: string;
      readonly reason: string;
    })
  | (WorktreeTarget & { readonly type: 'forget-entry'; readonly name: string; readonly reason: string })
  | (WorktreeTarget & { readonly type: 'mark-orphan'; readonly since: string })
  | (WorktreeTarget & { readonly type: 'clear-orphan' })
  | (WorktreeTarget & {
      readonly type: 'update-entry';
      readonly branch: string | null;
      readonly email: string | null;
      readonly phone: string | null;
    });

export type ActionType = Action['type'];

/** Ledger-only actions: they change no identity and no worktree file, so `plan` does not count them. */
const BOOKKEEPING: ReadonlySet<ActionType> = new Set(['mark-orphan', 'clear-orphan', 'update-entry', 'forget-entry']);

export function isChange(action: Action): boolean {
  return !BOOKKEEPING.has(action.type);
}

export type ChangeKind = 'create' | 'update' | 'delete';

/** How `plan` counts an action (Terraform's add/change/destroy); null for ledger bookkeeping. */
export function changeKind(action: Action): ChangeKind | null {
  if (!isChange(action)) return null;
  if (action.type === 'create-identity') return 'create';
  if (action.type === 'delete-identity') return 'delete';
  return 'update';
}

export interface ChangeCounts {
  readonly create: number;
  readonly update: number;
  readonly delete: number;
}

export function countChanges(actions: readonly Action[]): ChangeCounts {
  const counts = { create: 0, update: 0, delete: 0 };
  for (const action of actions) {
    const kind = changeKind(action);
    if (kind !== null) counts[kind] += 1;
  }
  return counts;
}

/** Something the planner cannot do for a worktree or repo; reported, counted as a failure. */
export interface Problem {
  readonly commonDir: string | null;
  readonly worktreePath: string | null;
  readonly message: string;
}

/** Information for people: an orphan waiting out its grace period, a deletion skipped for safety. */
export interface Note {
  readonly commonDir: string | null;
  readonly message: string;
}

export interface Plan {
  readonly actions: readonly Action[];
  readonly problems: readonly Problem[];
  readonly notes: readonly Note[];
}
