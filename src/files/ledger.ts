/**
 * The ledger: the only proof that ravi-orchestrator owns an identity, and which worktree leases it
 * (DESIGN.md, "Ownership and safety"). One per provider account in the state dir, kept as a journaled
 * store (journaled-store.ts): each write-ahead step is one small fsynced append.
 */
import * as v from 'valibot';
import { JournaledStore, type StoreModel } from './journaled-store.js';
import { firstIssue } from './schema-issue.js';
import {
  EMPTY_PROVIDER,
  applyOp,
  journalOpSchema,
  migrateV1,
  snapshotOf,
  snapshotSchema,
  stateFromSnapshot,
  v1FileSchema,
  type JournalOp,
  type MutableLedgerState,
} from './ledger-schema.js';
import { LeaseIndex } from './lease-index.js';
import { ledgerFileFor, type LedgerIdentity, type LedgerState, type ProviderFacts, type ReleasedWorktree } from './ledger-types.js';

export * from './ledger-types.js';
export { LedgerError } from './journaled-store.js';

function ledgerModel(scope: string): StoreModel<MutableLedgerState, JournalOp> {
  return {
    what: 'ledger',
    empty: () => ({ identities: new Map(), released: new Map(), provider: EMPTY_PROVIDER }),
    fromSnapshot(json) {
      const version = (json as { version?: unknown } | null)?.version;
      const parsed = version === 1 ? v.safeParse(v1FileSchema, json) : v.safeParse(snapshotSchema, json);
      if (!parsed.success) throw new Error(`is malformed at ${firstIssue(parsed.issues)}`);
      const data = parsed.output;
      if (data.scope !== scope) throw new Error(`belongs to provider ${data.scope}, not ${scope}`);
      if (data.version === 1) return { state: migrateV1(data), generation: 0, migrated: true };
      return { state: stateFromSnapshot(data), generation: data.generation, migrated: false };
    },
    toSnapshot: (state, generation) => snapshotOf(scope, generation, state),
    parseOp: (json) => {
      const parsed = v.safeParse(journalOpSchema, json);
      return parsed.success ? parsed.output : null;
    },
    apply: applyOp,
  };
}

export class Ledger {
  readonly scope: string;
  readonly #store: JournaledStore<MutableLedgerState, JournalOp>;
  /** Built at the first leaseOf; put and remove keep it in step (the store's state object never changes). */
  #leases: LeaseIndex | null = null;

  private constructor(scope: string, store: JournaledStore<MutableLedgerState, JournalOp>) {
    this.scope = scope;
    this.#store = store;
  }

  /** Loads the ledger of `scope`; a missing file is an empty ledger, a corrupt one is a LedgerError. */
  static async open(stateDir: string, scope: string): Promise<Ledger> {
    return new Ledger(scope, await JournaledStore.open(ledgerFileFor(stateDir, scope), ledgerModel(scope)));
  }

  get file(): string {
    return this.#store.file;
  }

  /** Whether this instance still holds what is on disk (no other process wrote since; nothing unflushed). */
  isCurrent(): Promise<boolean> {
    return this.#store.isCurrent();
  }

  /** An immutable view for one pass (observe, plan, status). */
  state(): LedgerState {
    const state = this.#store.state;
    return { identities: new Map(state.identities), released: new Map(state.released), provider: state.provider };
  }

  identities(): LedgerIdentity[] {
    return [...this.#store.state.identities.values()];
  }

  identity(name: string): LedgerIdentity | undefined {
    return this.#store.state.identities.get(name);
  }

  leaseOf(worktreeKey: string): LedgerIdentity | undefined {
    this.#leases ??= new LeaseIndex(this.#store.state.identities);
    return this.#leases.leaseOf(worktreeKey);
  }

  released(worktreeKey: string): ReleasedWorktree | undefined {
    return this.#store.state.released.get(worktreeKey);
  }

  get provider(): ProviderFacts {
    return this.#store.state.provider;
  }

  put(identity: LedgerIdentity): void {
    const before = this.#store.state.identities.get(identity.name);
    this.#store.record({ op: 'put', identity });
    this.#leases?.replaced(before, identity);
  }

  remove(name: string): void {
    const before = this.#store.state.identities.get(name);
    if (before === undefined) return;
    this.#store.record({ op: 'remove', name });
    this.#leases?.replaced(before, undefined);
  }

  releaseWorktree(worktree: ReleasedWorktree): void {
    this.#store.record({ op: 'release-worktree', worktree });
  }

  reviveWorktree(worktreeKey: string): void {
    if (this.#store.state.released.has(worktreeKey)) this.#store.record({ op: 'revive-worktree', worktreeKey });
  }

  setProvider(provider: ProviderFacts): void {
    this.#store.record({ op: 'provider', provider });
  }

  /** Makes every change so far durable: one append and one fsync, however many steps wait on it. */
  flush(): Promise<void> {
    return this.#store.flush();
  }

  /** Folds the journal into the snapshot when due (first write, large journal, version-1 file). Under the state lock only. */
  compactIfLarge(): Promise<void> {
    return this.#store.compactIfLarge();
  }
}
