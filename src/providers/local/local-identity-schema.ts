/**
 * The local identity file's schemas (valibot): the authority on what the file may hold, and the source of its
 * error messages. local-identity-store.ts loads this only for a file its plain reader does not take as it is.
 */
import * as v from 'valibot';
import { firstIssue } from '../../files/schema-issue.js';

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
export type Snapshot = v.InferOutput<typeof v1Schema> | v.InferOutput<typeof snapshotSchema>;

/** The snapshot as the schema reads it (version 1 or 2); throws an Error saying where it is malformed. */
export function parseSnapshot(json: unknown): Snapshot {
  const version = (json as { version?: unknown } | null)?.version;
  const parsed = version === 1 ? v.safeParse(v1Schema, json) : v.safeParse(snapshotSchema, json);
  if (!parsed.success) throw new Error(`is malformed at ${firstIssue(parsed.issues)}; restore or remove it by hand`);
  return parsed.output;
}

/** One journal line's operation, or null. */
export function parseOp(json: unknown): LocalIdentityOp | null {
  const parsed = v.safeParse(opSchema, json);
  return parsed.success ? parsed.output : null;
}
