/**
 * The ledger's on-disk shapes: the snapshot (version 2), the journal's operations, and the migration
 * of a version-1 ledger (one entry per worktree, identities deleted with it) into leases.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { LedgerIdentity, LedgerState, ProviderFacts, ReleasedWorktree } from './ledger-types.js';

const leaseSchema = z.object({
  id: z.string().min(1),
  worktreeKey: z.string().min(1),
  commonDir: z.string().min(1),
  adminId: z.string().min(1),
  worktreePath: z.string(),
  branch: z.string().nullable(),
  since: z.string(),
  orphanedSince: z.string().nullable(),
});

const identitySchema = z.object({
  name: z.string().min(1),
  state: z.enum(['creating', 'ready']),
  uuid: z.string().min(1).nullable(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  createdAt: z.string(),
  lease: leaseSchema.nullable(),
  idleSince: z.string().nullable(),
  lastHolder: z.object({ worktreeKey: z.string(), worktreePath: z.string() }).nullable(),
  leases: z.number().int().min(0),
});

const releasedSchema = z.object({
  worktreeKey: z.string().min(1),
  commonDir: z.string().min(1),
  adminId: z.string().min(1),
  worktreePath: z.string(),
  at: z.string(),
});

const providerSchema = z.object({
  deleteRefused: z.object({ at: z.string(), status: z.number().nullable(), message: z.string() }).nullable(),
});

export const snapshotSchema = z.object({
  version: z.literal(2),
  scope: z.string(),
  /** Which journal file continues this snapshot (`<file>.journal-<generation>`). */
  generation: z.number().int().min(0),
  identities: z.record(z.string(), identitySchema),
  released: z.record(z.string(), releasedSchema),
  provider: providerSchema,
});
export type Snapshot = z.infer<typeof snapshotSchema>;

/** One journal line: a whole record put or removed, so replaying a line twice changes nothing. */
export const journalOpSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('put'), identity: identitySchema }),
  z.object({ op: z.literal('remove'), name: z.string().min(1) }),
  z.object({ op: z.literal('release-worktree'), worktree: releasedSchema }),
  z.object({ op: z.literal('revive-worktree'), worktreeKey: z.string().min(1) }),
  z.object({ op: z.literal('provider'), provider: providerSchema }),
]);
export type JournalOp = z.infer<typeof journalOpSchema>;

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
  const sorted = <T>(map: ReadonlyMap<string, T>): Record<string, T> => Object.fromEntries([...map].sort(([a], [b]) => a.localeCompare(b)));
  return { version: 2, scope, generation, identities: sorted(state.identities), released: sorted(state.released), provider: state.provider };
}

const v1EntrySchema = z.object({
  commonDir: z.string().min(1),
  adminId: z.string().min(1),
  name: z.string().min(1),
  state: z.enum(['pending', 'active', 'released']),
  uuid: z.string().min(1).nullable(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  worktreePath: z.string(),
  branch: z.string().nullable(),
  createdAt: z.string(),
  orphanedSince: z.string().nullable(),
});
export const v1FileSchema = z.object({ version: z.literal(1), scope: z.string(), entries: z.record(z.string(), v1EntrySchema) });

/**
 * Version 1 kept one identity per worktree: an active or pending entry becomes that worktree's lease
 * (since its creation, so its agent keeps seeing its mail), a released one becomes a released worktree.
 */
export function migrateV1(file: z.infer<typeof v1FileSchema>): MutableLedgerState {
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
        id: createHash('sha256').update(`${key}\n${entry.createdAt}`).digest('hex').slice(0, 16),
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
