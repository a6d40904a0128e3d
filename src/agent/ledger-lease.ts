/**
 * One worktree's lease, read from the ledger without its schemas: `whoami` and `otp` read one entry, so they
 * neither load the schema library nor validate every identity of a large ledger at each start. Reads the same
 * files as Ledger.open (the snapshot and its journal, through JournaledStore) but checks only what it returns. Anything it does not read plainly (a
 * version-1 ledger, an unexpected shape, a journal line it does not know) goes to Ledger.open, which validates
 * the whole ledger and reports what is wrong, so an error reads as it always did.
 */
import { JournaledStore, type StoreModel } from '../files/journaled-store.js';
import { leaseHeldBy, ledgerFileFor, type LedgerIdentity, type ReleasedWorktree } from '../files/ledger-types.js';

export interface LeaseLookup {
  readonly entry: LedgerIdentity | undefined;
  readonly released: ReleasedWorktree | undefined;
}

export async function lookUpLease(stateDir: string, scope: string, worktreeKey: string): Promise<LeaseLookup> {
  const plain = await JournaledStore.open(ledgerFileFor(stateDir, scope), plainModel(scope)).catch(() => null);
  const found = plain === null ? undefined : leaseHeldBy(plain.state.identities.values(), worktreeKey);
  if (plain !== null && (found === undefined || isPlainIdentity(found))) return { entry: found, released: plain.state.released.get(worktreeKey) };
  const { Ledger } = await import('../files/ledger.js');
  const ledger = await Ledger.open(stateDir, scope);
  return { entry: ledger.leaseOf(worktreeKey), released: ledger.released(worktreeKey) };
}

interface PlainState {
  readonly identities: Map<string, LedgerIdentity>;
  readonly released: Map<string, ReleasedWorktree>;
}

type PlainOp = { op: 'put'; identity: LedgerIdentity } | { op: 'remove'; name: string } | { op: 'release-worktree'; worktree: ReleasedWorktree } | { op: 'revive-worktree'; worktreeKey: string } | { op: 'provider' };

/** A read-only model of the version-2 ledger; it throws (and Ledger.open takes over) on anything else. */
function plainModel(scope: string): StoreModel<PlainState, PlainOp> {
  return {
    what: 'ledger',
    empty: () => ({ identities: new Map(), released: new Map() }),
    fromSnapshot(json) {
      const file = json as { version?: unknown; scope?: unknown; generation?: unknown; identities?: unknown; released?: unknown };
      if (file.version !== 2 || file.scope !== scope || !Number.isInteger(file.generation) || !isRecord(file.identities) || !isRecord(file.released)) throw new Error('not a plain ledger');
      const identities = Object.values(file.identities) as LedgerIdentity[];
      const released = Object.values(file.released) as ReleasedWorktree[];
      if (!identities.every((i) => isRecord(i) && typeof i.name === 'string') || !released.every((r) => isRecord(r) && typeof r.worktreeKey === 'string')) throw new Error('not a plain ledger');
      return { state: { identities: new Map(identities.map((i) => [i.name, i])), released: new Map(released.map((r) => [r.worktreeKey, r])) }, generation: file.generation as number, migrated: false };
    },
    toSnapshot() {
      throw new Error('read only');
    },
    parseOp(json) {
      const op = json as { op?: unknown; identity?: { name?: unknown }; name?: unknown; worktree?: { worktreeKey?: unknown }; worktreeKey?: unknown };
      if (op.op === 'put' && isRecord(op.identity) && typeof op.identity.name === 'string') return json as PlainOp;
      if ((op.op === 'remove' && typeof op.name === 'string') || (op.op === 'revive-worktree' && typeof op.worktreeKey === 'string') || op.op === 'provider') return json as PlainOp;
      if (op.op === 'release-worktree' && isRecord(op.worktree) && typeof op.worktree.worktreeKey === 'string') return json as PlainOp;
      return null;
    },
    apply(state, op) {
      if (op.op === 'put') state.identities.set(op.identity.name, op.identity);
      else if (op.op === 'remove') state.identities.delete(op.name);
      else if (op.op === 'release-worktree') state.released.set(op.worktree.worktreeKey, op.worktree);
      else if (op.op === 'revive-worktree') state.released.delete(op.worktreeKey);
    },
  };
}

/** The fields whoami and otp read, with the types the ledger's schema gives them. */
function isPlainIdentity(identity: LedgerIdentity): boolean {
  const lease = identity.lease as unknown;
  const text = (value: unknown) => typeof value === 'string';
  const textOrNull = (value: unknown) => value === null || text(value);
  return (
    (identity.state === 'ready' || identity.state === 'creating') && textOrNull(identity.uuid) && textOrNull(identity.email) && textOrNull(identity.phone) &&
    isRecord(lease) && text(lease['id']) && text(lease['since']) && text(lease['worktreeKey'])
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
