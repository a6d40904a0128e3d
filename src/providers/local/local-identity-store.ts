/**
 * The local provider's identities, as a journaled store (src/files/journaled-store.ts): creating one is a
 * small fsynced append, not a rewrite of every identity (at 2000 worktrees the whole-file rewrites came to
 * ~0.8 GB per cold pass). Also the addresses and numbers of deleted identities that still rest, so a new
 * identity does not get them before the quarantine has passed. Version-1 files (one JSON document) are read
 * as they are and rewritten in this form at the first change.
 */
import { z } from 'zod';
import { JournaledStore, type StoreModel } from '../../files/journaled-store.js';
import type { Identity } from '../types.js';

const identitySchema = z.object({
  uuid: z.string(),
  name: z.string(),
  email: z.string(),
  phone: z.string().nullable(),
  createdAt: z.string().nullable(),
});
const retiredSchema = z.object({ email: z.string(), phone: z.string().nullable(), at: z.string() });
export type Retired = z.infer<typeof retiredSchema>;

const v1Schema = z.object({ version: z.literal(1), identities: z.array(identitySchema), retired: z.array(retiredSchema).optional() });
const snapshotSchema = z.object({ version: z.literal(2), generation: z.number().int().min(0), identities: z.array(identitySchema), retired: z.array(retiredSchema) });
const opSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('put'), identity: identitySchema }),
  /** A deleted identity; its address and number rest as `retired` when the quarantine asks for it. */
  z.object({ op: z.literal('remove'), uuid: z.string(), retired: retiredSchema.nullable() }),
  /** The resting addresses and numbers, after the ones whose quarantine passed were forgotten. */
  z.object({ op: z.literal('retired'), retired: z.array(retiredSchema) }),
]);
export type LocalIdentityOp = z.infer<typeof opSchema>;

export interface LocalIdentities {
  identities: Map<string, Identity>;
  retired: Retired[];
}

const model: StoreModel<LocalIdentities, LocalIdentityOp> = {
  what: "local provider's identity file",
  empty: () => ({ identities: new Map(), retired: [] }),
  fromSnapshot(json) {
    const version = (json as { version?: unknown } | null)?.version;
    const parsed = version === 1 ? v1Schema.safeParse(json) : snapshotSchema.safeParse(json);
    if (!parsed.success) throw new Error(`is malformed at ${parsed.error.issues[0]?.path.join('.') || '(root)'}; restore or remove it by hand`);
    const state = { identities: new Map(parsed.data.identities.map((i) => [i.uuid, i])), retired: parsed.data.retired ?? [] };
    return { state, generation: parsed.data.version === 1 ? 0 : parsed.data.generation, migrated: parsed.data.version === 1 };
  },
  toSnapshot: (state, generation) => ({ version: 2, generation, identities: [...state.identities.values()], retired: state.retired }),
  parseOp: (json) => {
    const parsed = opSchema.safeParse(json);
    return parsed.success ? parsed.data : null;
  },
  apply(state, op) {
    if (op.op === 'put') state.identities.set(op.identity.uuid, op.identity);
    else if (op.op === 'remove') {
      state.identities.delete(op.uuid);
      if (op.retired !== null) state.retired.push(op.retired);
    } else state.retired = op.retired;
  },
};

export function openLocalIdentities(file: string): Promise<JournaledStore<LocalIdentities, LocalIdentityOp>> {
  return JournaledStore.open(file, model);
}
