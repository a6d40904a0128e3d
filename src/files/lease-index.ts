/**
 * Which identity holds the lease of a worktree, answered without a scan: every apply step of a worktree asks
 * (its env file, its key, its audit line, its write-ahead), and a scan of every identity per question made a cold
 * pass quadratic in N (issue 16: the cold pass must stay linear up to N = 2000).
 *
 * The same answer as leaseHeldBy's scan, always: the index only narrows the search to the names that were put with
 * a lease on that worktree; each is checked against the identity as it is now, and when more than one holds it (a
 * ledger that broke the one-lease rule) the scan in the ledger's own order decides, as before.
 */
import { leaseHeldBy, type LedgerIdentity } from './ledger-types.js';

export class LeaseIndex {
  /** Worktree key -> names of the identities put with a lease on it (usually one). */
  readonly #names = new Map<string, Set<string>>();
  readonly #identities: ReadonlyMap<string, LedgerIdentity>;

  constructor(identities: ReadonlyMap<string, LedgerIdentity>) {
    this.#identities = identities;
    for (const identity of identities.values()) this.#add(identity);
  }

  leaseOf(worktreeKey: string): LedgerIdentity | undefined {
    const names = this.#names.get(worktreeKey);
    if (names === undefined) return undefined;
    if (names.size === 1) {
      const [name] = names as Set<string> & { size: 1 };
      const identity = this.#identities.get(name as string);
      if (identity?.lease?.worktreeKey === worktreeKey) return identity;
    }
    return leaseHeldBy(this.#identities.values(), worktreeKey);
  }

  /** After a record changed: what it was (undefined: new) and what it is now (undefined: removed). */
  replaced(before: LedgerIdentity | undefined, after: LedgerIdentity | undefined): void {
    if (before?.lease) {
      const names = this.#names.get(before.lease.worktreeKey);
      names?.delete(before.name);
      if (names?.size === 0) this.#names.delete(before.lease.worktreeKey);
    }
    if (after !== undefined) this.#add(after);
  }

  #add(identity: LedgerIdentity): void {
    if (identity.lease === null) return;
    const key = identity.lease.worktreeKey;
    const names = this.#names.get(key);
    if (names === undefined) this.#names.set(key, new Set([identity.name]));
    else names.add(identity.name);
  }
}
