/**
 * The ledger: the only proof that ravi-orchestrator owns an identity (DESIGN.md, "Ownership and safety").
 * One JSON file per provider account in the state dir, rewritten atomically. Intents are recorded
 * before an identity is created (write-ahead), so a crash in between is healed by adoption, never
 * by a duplicate.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { writeFileAtomically } from './atomic-write.js';

export interface LedgerEntry {
  /** `entryKey(commonDir, adminId)`. */
  readonly key: string;
  readonly commonDir: string;
  readonly adminId: string;
  readonly name: string;
  /**
   * 'pending': intent recorded, create not confirmed. 'active': we own `uuid`. 'released': a teardown
   * deleted the identity while the worktree still exists; it gets none until a setup asks again.
   */
  readonly state: 'pending' | 'active' | 'released';
  readonly uuid: string | null;
  readonly email: string | null;
  readonly phone: string | null;
  /** Last known path and branch, for status and for people reading the file. */
  readonly worktreePath: string;
  readonly branch: string | null;
  readonly createdAt: string;
  /** When the worktree was first seen gone; null while it exists. */
  readonly orphanedSince: string | null;
}

const entrySchema = z.object({
  key: z.string().min(1),
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

const fileSchema = z.object({
  version: z.literal(1),
  scope: z.string(),
  entries: z.record(z.string(), entrySchema),
});

/** The ledger file exists but cannot be trusted; we refuse rather than start from empty. */
export class LedgerError extends Error {
  override readonly name = 'LedgerError';
  readonly file: string;
  constructor(message: string, details: { file: string; cause?: unknown }) {
    super(message, { cause: details.cause });
    this.file = details.file;
  }
}

export function entryKey(commonDir: string, adminId: string): string {
  return `${commonDir}::${adminId}`;
}

export function ledgerFileFor(stateDir: string, scope: string): string {
  const readable = scope.replace(/^[a-z]+:\/\//, '').replace(/[^A-Za-z0-9.-]+/g, '-').slice(0, 40);
  const digest = createHash('sha256').update(scope).digest('hex').slice(0, 8);
  return join(stateDir, 'ledger', `${readable}-${digest}.json`);
}

export class Ledger {
  readonly file: string;
  readonly scope: string;
  #entries: Map<string, LedgerEntry>;
  #dirty = false;
  #writing: Promise<void> = Promise.resolve();

  private constructor(file: string, scope: string, entries: Map<string, LedgerEntry>) {
    this.file = file;
    this.scope = scope;
    this.#entries = entries;
  }

  /** Loads the ledger of `scope`; a missing file is an empty ledger, a corrupt one is a LedgerError. */
  static async open(stateDir: string, scope: string): Promise<Ledger> {
    const file = ledgerFileFor(stateDir, scope);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Ledger(file, scope, new Map());
      throw new LedgerError(`Cannot read the ledger ${file}: ${(error as Error).message}`, { file, cause: error });
    }
    return new Ledger(file, scope, parseLedger(text, file, scope));
  }

  entries(): LedgerEntry[] {
    return [...this.#entries.values()];
  }

  get(key: string): LedgerEntry | undefined {
    return this.#entries.get(key);
  }

  set(entry: LedgerEntry): void {
    this.#entries.set(entry.key, entry);
    this.#dirty = true;
  }

  delete(key: string): void {
    if (this.#entries.delete(key)) this.#dirty = true;
  }

  /** Writes pending changes; concurrent callers are serialised and all see their change on disk. */
  flush(): Promise<void> {
    this.#writing = this.#writing.then(async () => {
      if (!this.#dirty) return;
      this.#dirty = false;
      const snapshot = { version: 1, scope: this.scope, entries: Object.fromEntries(this.#entries) };
      try {
        await writeFileAtomically(this.file, `${JSON.stringify(snapshot, null, 2)}\n`);
      } catch (error) {
        this.#dirty = true;
        throw error;
      }
    });
    return this.#writing;
  }
}

function parseLedger(text: string, file: string, scope: string): Map<string, LedgerEntry> {
  const hint = 'Restore it from a backup or fix it by hand; ravi-orchestrator will not start from an empty ledger because it would lose track of the identities it owns.';
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new LedgerError(`The ledger ${file} is not valid JSON (${(error as Error).message}). ${hint}`, { file, cause: error });
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || '(root)';
    throw new LedgerError(`The ledger ${file} is malformed at ${where}: ${issue?.message ?? 'invalid'}. ${hint}`, { file });
  }
  if (parsed.data.scope !== scope) {
    throw new LedgerError(`The ledger ${file} belongs to provider ${parsed.data.scope}, not ${scope}. ${hint}`, { file });
  }
  return new Map(Object.entries(parsed.data.entries).map(([key, entry]) => [key, { ...entry, key }]));
}
