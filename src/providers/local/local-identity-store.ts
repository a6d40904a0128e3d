/**
 * The local provider's identities, as a journaled store (src/files/journaled-store.ts): creating one is a
 * small fsynced append, not a rewrite of every identity (at 2000 worktrees the whole-file rewrites came to
 * ~0.8 GB per cold pass). Also the addresses and numbers of deleted identities that still rest, so a new
 * identity does not get them before the quarantine has passed. Version-1 files (one JSON document) are read
 * as they are and rewritten in this form at the first change.
 */
import * as v from 'valibot';
import { firstIssue } from '../../files/schema-issue.js';
import { JournaledStore, type StoreModel } from '../../files/journaled-store.js';
import type { Identity } from '../types.js';

const identitySchema = v.object({
  uuid: v.string(),
  name: v.string(),
  email: v.string(),
  phone: v.nullable(v.string()),
  createdAt: v.nullable(v.string()),
});
const retiredSchema = v.object({ email: v.string(), phone: v.nullable(v.string()), at: v.string() });
export type Retired = v.InferOutput<typeof retiredSchema>;

const v1Schema = v.object({ version: v.literal(1), identities: v.array(identitySchema), retired: v.optional(v.array(retiredSchema)) });
const snapshotSchema = v.object({ version: v.literal(2), generation: v.pipe(v.number(), v.integer(), v.minValue(0)), identities: v.array(identitySchema), retired: v.array(retiredSchema) });
const opSchema = v.variant('op', [
  v.object({ op: v.literal('put'), identity: identitySchema }),
  /** A deleted identity; its address and number rest as `retired` when the quarantine asks for it. */
  v.object({ op: v.literal('remove'), uuid: v.string(), retired: v.nullable(retiredSchema) }),
  /** The resting addresses and numbers, after the ones whose quarantine passed were forgotten. */
  v.object({ op: v.literal('retired'), retired: v.array(retiredSchema) }),
]);
export type LocalIdentityOp = v.InferOutput<typeof opSchema>;

export interface LocalIdentities {
  identities: Map<string, Identity>;
  retired: Retired[];
}

const model: StoreModel<LocalIdentities, LocalIdentityOp> = {
  what: "local provider's identity file",
  empty: () => ({ identities: new Map(), retired: [] }),
  fromSnapshot(json) {
    const version = (json as { version?: unknown } | null)?.version;
    const parsed = version === 1 ? v.safeParse(v1Schema, json) : v.safeParse(snapshotSchema, json);
    if (!parsed.success) throw new Error(`is malformed at ${firstIssue(parsed.issues)}; restore or remove it by hand`);
    const data = parsed.output;
    const state = { identities: new Map(data.identities.map((i) => [i.uuid, i])), retired: data.retired ?? [] };
    return { state, generation: data.version === 1 ? 0 : data.generation, migrated: data.version === 1 };
  },
  toSnapshot: (state, generation) => ({ version: 2, generation, identities: [...state.identities.values()], retired: state.retired }),
  parseOp: (json) => {
    const parsed = v.safeParse(opSchema, json);
    return parsed.success ? parsed.output : null;
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
