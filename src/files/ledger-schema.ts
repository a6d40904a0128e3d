/**
 * The ledger's on-disk shapes: the snapshot (version 2), the journal's operations, and the migration
 * of a version-1 ledger (one entry per worktree, identities deleted with it) into leases.
 */
import * as v from 'valibot';
import type { LedgerIdentity, LedgerState, ProviderFacts, ReleasedWorktree } from './ledger-types.js';
import { compareText } from '../util/compare-text.js';
import { sha256Hex } from '../util/sha256.js';

const leaseSchema = v.object({
  id: v.pipe(v.string(), v.minLength(1)),
  worktreeKey: v.pipe(v.string(), v.minLength(1)),
  commonDir: v.pipe(v.string(), v.minLength(1)),
  adminId: v.pipe(v.string(), v.minLength(1)),
  worktreePath: v.string(),
  branch: v.nullable(v.string()),
  since: v.string(),
  orphanedSince: v.nullable(v.string()),
});

const identitySchema = v.object({
  name: v.pipe(v.string(), v.minLength(1)),
  state: v.picklist(['creating', 'ready']),
  uuid: v.nullable(v.pipe(v.string(), v.minLength(1))),
  email: v.nullable(v.string()),
  phone: v.nullable(v.string()),
  createdAt: v.string(),
  lease: v.nullable(leaseSchema),
  idleSince: v.nullable(v.string()),
  lastHolder: v.nullable(v.object({ worktreeKey: v.string(), worktreePath: v.string() })),
  leases: v.pipe(v.number(), v.integer(), v.minValue(0)),
});

const releasedSchema = v.object({
  worktreeKey: v.pipe(v.string(), v.minLength(1)),
  commonDir: v.pipe(v.string(), v.minLength(1)),
  adminId: v.pipe(v.string(), v.minLength(1)),
  worktreePath: v.string(),
  at: v.string(),
});

const providerSchema = v.object({
  deleteRefused: v.nullable(v.object({ at: v.string(), status: v.nullable(v.number()), message: v.string() })),
});

export const snapshotSchema = v.object({
  version: v.literal(2),
  scope: v.string(),
  /** Which journal file continues this snapshot (`<file>.journal-<generation>`). */
  generation: v.pipe(v.number(), v.integer(), v.minValue(0)),
  identities: v.record(v.string(), identitySchema),
  released: v.record(v.string(), releasedSchema),
  provider: providerSchema,
});
export type Snapshot = v.InferOutput<typeof snapshotSchema>;

/** One journal line: a whole record put or removed, so replaying a line twice changes nothing. */
export const journalOpSchema = v.variant('op', [
  v.object({ op: v.literal('put'), identity: identitySchema }),
  v.object({ op: v.literal('remove'), name: v.pipe(v.string(), v.minLength(1)) }),
  v.object({ op: v.literal('release-worktree'), worktree: releasedSchema }),
  v.object({ op: v.literal('revive-worktree'), worktreeKey: v.pipe(v.string(), v.minLength(1)) }),
  v.object({ op: v.literal('provider'), provider: providerSchema }),
]);
export type JournalOp = v.InferOutput<typeof journalOpSchema>;

export const EMPTY_PROVIDER: ProviderFacts = { deleteRefused: null };

export interface MutableLedgerState {
  identities: Map<string, LedgerIdentity>;
  released: Map<string, ReleasedWorktree>;
  provider: ProviderFacts;
}

export function applyOp(state: MutableLedgerState, op: JournalOp): void {
  switch (op.op) {
    case 'put':
      return void state.identities.set(op.identity.name, op.identity);
    case 'remove':
      return void state.identities.delete(op.name);
    case 'release-worktree':
      return void state.released.set(op.worktree.worktreeKey, op.worktree);
    case 'revive-worktree':
      return void state.released.delete(op.worktreeKey);
    case 'provider':
      state.provider = op.provider;
  }
}

export function stateFromSnapshot(snapshot: Snapshot): MutableLedgerState {
  return {
    identities: new Map(Object.values(snapshot.identities).map((i) => [i.name, i])),
    released: new Map(Object.values(snapshot.released).map((r) => [r.worktreeKey, r])),
    provider: snapshot.provider,
  };
}

export function snapshotOf(scope: string, generation: number, state: LedgerState): Snapshot {
  const sorted = <T>(map: ReadonlyMap<string, T>): Record<string, T> => Object.fromEntries([...map].sort(([a], [b]) => compareText(a, b)));
  return { version: 2, scope, generation, identities: sorted(state.identities), released: sorted(state.released), provider: state.provider };
}

const v1EntrySchema = v.object({
  commonDir: v.pipe(v.string(), v.minLength(1)),
  adminId: v.pipe(v.string(), v.minLength(1)),
  name: v.pipe(v.string(), v.minLength(1)),
  state: v.picklist(['pending', 'active', 'released']),
  uuid: v.nullable(v.pipe(v.string(), v.minLength(1))),
  email: v.nullable(v.string()),
  phone: v.nullable(v.string()),
  worktreePath: v.string(),
  branch: v.nullable(v.string()),
  createdAt: v.string(),
  orphanedSince: v.nullable(v.string()),
});
export const v1FileSchema = v.object({ version: v.literal(1), scope: v.string(), entries: v.record(v.string(), v1EntrySchema) });

/**
 * Version 1 kept one identity per worktree: an active or pending entry becomes that worktree's lease
 * (since its creation, so its agent keeps seeing its mail), a released one becomes a released worktree.
 */
export function migrateV1(file: v.InferOutput<typeof v1FileSchema>): MutableLedgerState {
  const state: MutableLedgerState = { identities: new Map(), released: new Map(), provider: EMPTY_PROVIDER };
  for (const [key, entry] of Object.entries(file.entries)) {
    if (entry.state === 'released') {
      state.released.set(key, { worktreeKey: key, commonDir: entry.commonDir, adminId: entry.adminId, worktreePath: entry.worktreePath, at: entry.createdAt });
      continue;
    }
    state.identities.set(entry.name, {
      name: entry.name,
      state: entry.state === 'active' ? 'ready' : 'creating',
      uuid: entry.state === 'active' ? entry.uuid : null,
      email: entry.email,
      phone: entry.phone,
      createdAt: entry.createdAt,
      lease: {
        // Derived, not random: a reader sees the same lease on every read until a writer compacts.
        id: sha256Hex(`${key}\n${entry.createdAt}`).slice(0, 16),
        worktreeKey: key,
        commonDir: entry.commonDir,
        adminId: entry.adminId,
        worktreePath: entry.worktreePath,
        branch: entry.branch,
        since: entry.createdAt,
        orphanedSince: entry.orphanedSince,
      },
      idleSince: null,
      lastHolder: null,
      leases: 1,
    });
  }
  return state;
}
