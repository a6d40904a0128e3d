/**
 * What the ledger holds (DESIGN.md, "Identities are leased, not churned"): the identities we own, each
 * either leased to one worktree or resting in the pool, plus worktrees a teardown released and what the
 * provider refused. A lease is data with a holder, a start and a transition count (STYLE.md 11).
 */
import { join } from 'node:path';
import { sha256Hex } from '../util/sha256.js';

/** One worktree holding one identity. */
export interface Lease {
  /** Random; names this lease's own records (what was handed to its agent). */
  readonly id: string;
  /** `worktreeKey(commonDir, adminId)`: survives `git worktree move`. */
  readonly worktreeKey: string;
  readonly commonDir: string;
  readonly adminId: string;
  /** Last known path and branch, for status and for people reading the file. */
  readonly worktreePath: string;
  readonly branch: string | null;
  /** When the lease began: the agent is shown only what arrived from then on. */
  readonly since: string;
  /** When the worktree was first seen gone; null while it exists. */
  readonly orphanedSince: string | null;
}

export interface LedgerIdentity {
  /** Unique in the ledger; the key of the record and the name at the provider. */
  readonly name: string;
  /** 'creating': the intent is recorded, the create not confirmed (write-ahead). 'ready': we own `uuid`. */
  readonly state: 'creating' | 'ready';
  readonly uuid: string | null;
  readonly email: string | null;
  readonly phone: string | null;
  readonly createdAt: string;
  /** Null: idle, in the pool. */
  readonly lease: Lease | null;
  /** When the last lease ended (the quarantine runs from here); null while leased or never leased. */
  readonly idleSince: string | null;
  /** The worktree that held it last: the same worktree may take it back without waiting out the quarantine. */
  readonly lastHolder: { readonly worktreeKey: string; readonly worktreePath: string } | null;
  /** How many leases it has had. */
  readonly leases: number;
}

/** A worktree whose lease a teardown ended: it gets no identity until a setup asks (`reconcile --worktree`). */
export interface ReleasedWorktree {
  readonly worktreeKey: string;
  readonly commonDir: string;
  readonly adminId: string;
  readonly worktreePath: string;
  readonly at: string;
}

/** What the provider showed it cannot do, remembered so it is not asked again every pass. */
export interface ProviderFacts {
  /** A DELETE of an identity was refused (405/404/403): idle identities are kept, never deleted again. */
  readonly deleteRefused: { readonly at: string; readonly status: number | null; readonly message: string } | null;
}

export interface LedgerState {
  readonly identities: ReadonlyMap<string, LedgerIdentity>;
  readonly released: ReadonlyMap<string, ReleasedWorktree>;
  readonly provider: ProviderFacts;
}

/** Where a provider scope's ledger lives (here, not in ledger.ts: readers that skip the schemas need it too). */
export function ledgerFileFor(stateDir: string, scope: string): string {
  const readable = scope.replace(/^[a-z]+:\/\//, '').replace(/[^A-Za-z0-9.-]+/g, '-').slice(0, 40);
  const digest = sha256Hex(scope).slice(0, 8);
  return join(stateDir, 'ledger', `${readable}-${digest}.json`);
}

export function worktreeKey(commonDir: string, adminId: string): string {
  return `${commonDir}::${adminId}`;
}

/** The identity leased to a worktree, if any. */
export function leaseHeldBy(identities: Iterable<LedgerIdentity>, key: string): LedgerIdentity | undefined {
  for (const identity of identities) if (identity.lease?.worktreeKey === key) return identity;
  return undefined;
}
