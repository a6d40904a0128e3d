/**
 * The local provider's identities, as a journaled store (src/files/journaled-store.ts): creating one is a
 * small fsynced append, not a rewrite of every identity (at 2000 worktrees the whole-file rewrites came to
 * ~0.8 GB per cold pass). Also the addresses and numbers of deleted identities that still rest, so a new
 * identity does not get them before the quarantine has passed. Version-1 files (one JSON document) are read
 * as they are and rewritten in this form at the first change.
 *
 * Files are read first without the schema library: a file that holds exactly what this program writes (the
 * current version, each object with exactly the schema's keys in the schema's order, every value of its type)
 * reads as the schema would return it. Anything else (version 1, an extra key, a wrong type, a torn journal)
 * is read again through the schemas (local-identity-schema.ts, valibot), which decide and say what is wrong.
 * Every `otp`, `inbox` and `whoami` reads this file, and valibot costs about 9 ms of CPU to load.
 */
import { JournaledStore, type StoreModel } from '../../files/journaled-store.js';
import type { Identity } from '../types.js';
import type { LocalIdentityOp, Retired, Snapshot } from './local-identity-schema.js';

export type { LocalIdentityOp, Retired } from './local-identity-schema.js';

export interface LocalIdentities {
  identities: Map<string, Identity>;
  retired: Retired[];
}

export async function openLocalIdentities(file: string): Promise<JournaledStore<LocalIdentities, LocalIdentityOp>> {
  const plain = await JournaledStore.open(file, modelWith(plainSnapshot, plainOp)).catch(() => null);
  if (plain !== null) return plain;
  const schema = await import('./local-identity-schema.js');
  return JournaledStore.open(file, modelWith(schema.parseSnapshot, schema.parseOp));
}

function modelWith(parseSnapshot: (json: unknown) => Snapshot, parseOp: (json: unknown) => LocalIdentityOp | null): StoreModel<LocalIdentities, LocalIdentityOp> {
  return {
    what: "local provider's identity file",
    empty: () => ({ identities: new Map(), retired: [] }),
    fromSnapshot(json) {
      const data = parseSnapshot(json);
      const state = { identities: new Map(data.identities.map((i) => [i.uuid, i])), retired: data.retired ?? [] };
      return { state, generation: data.version === 1 ? 0 : data.generation, migrated: data.version === 1 };
    },
    toSnapshot: (state, generation) => ({ version: 2, generation, identities: [...state.identities.values()], retired: state.retired }),
    parseOp,
    apply(state, op) {
      if (op.op === 'put') state.identities.set(op.identity.uuid, op.identity);
      else if (op.op === 'remove') {
        state.identities.delete(op.uuid);
        if (op.retired !== null) state.retired.push(op.retired);
      } else state.retired = op.retired;
    },
  };
}

// The plain reader: each check accepts only values the schema accepts and returns unchanged (same keys, same order).
type Check = (value: unknown) => boolean;
const text: Check = (value) => typeof value === 'string';
const textOrNull: Check = (value) => value === null || typeof value === 'string';
const arrayOf = (check: Check): Check => (value) => Array.isArray(value) && value.every(check);
const exactly = (fields: Record<string, Check>): Check => {
  const names = Object.keys(fields);
  return (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    const keys = Object.keys(value);
    return keys.length === names.length && names.every((name, index) => keys[index] === name && fields[name]!((value as Record<string, unknown>)[name]));
  };
};
const identity = exactly({ uuid: text, name: text, email: text, phone: textOrNull, createdAt: textOrNull });
const retired = exactly({ email: text, phone: textOrNull, at: text });
const snapshot = exactly({
  version: (value) => value === 2,
  generation: (value) => Number.isInteger(value) && (value as number) >= 0,
  identities: arrayOf(identity),
  retired: arrayOf(retired),
});
const ops: Record<string, Check> = {
  put: exactly({ op: text, identity }),
  remove: exactly({ op: text, uuid: text, retired: (value) => value === null || retired(value) }),
  retired: exactly({ op: text, retired: arrayOf(retired) }),
};
const op: Check = (value) => {
  const kind = (value as { op?: unknown } | null)?.op;
  return typeof kind === 'string' && Object.hasOwn(ops, kind) && ops[kind]!(value);
};

function plainSnapshot(json: unknown): Snapshot {
  if (!snapshot(json)) throw new Error('is not plain'); // never shown: the schema reads the file again
  return json as Snapshot;
}

function plainOp(json: unknown): LocalIdentityOp | null {
  return op(json) ? (json as LocalIdentityOp) : null;
}
