/**
 * The ledger: the only proof that ravi-orchestrator owns an identity, and which worktree leases it
 * (DESIGN.md, "Ownership and safety"). One per provider account in the state dir: a snapshot, rewritten
 * atomically only when compacted, plus an append-only journal of whole-record operations, so each
 * write-ahead step costs one small fsynced append instead of a rewrite of the whole file.
 * Writers hold the state lock; readers (agent commands, status) read without it and retry when a
 * compaction replaced the snapshot under them.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { writeFileAtomically } from './atomic-write.js';
import { appendJournal, readJournal, removeJournal, keepBackup, type JournalFile } from './ledger-journal.js';
import {
  EMPTY_PROVIDER,
  applyOp,
  migrateV1,
  snapshotOf,
  snapshotSchema,
  stateFromSnapshot,
  v1FileSchema,
  type JournalOp,
  type MutableLedgerState,
} from './ledger-schema.js';
import { leaseHeldBy, type LedgerIdentity, type LedgerState, type ProviderFacts, type ReleasedWorktree } from './ledger-types.js';

export * from './ledger-types.js';

/** The ledger exists but cannot be trusted; we refuse rather than start from empty. */
export class LedgerError extends Error {
  override readonly name = 'LedgerError';
  readonly file: string;
  constructor(message: string, details: { file: string; cause?: unknown }) {
    super(message, { cause: details.cause });
    this.file = details.file;
  }
}

export function ledgerFileFor(stateDir: string, scope: string): string {
  const readable = scope.replace(/^[a-z]+:\/\//, '').replace(/[^A-Za-z0-9.-]+/g, '-').slice(0, 40);
  const digest = createHash('sha256').update(scope).digest('hex').slice(0, 8);
  return join(stateDir, 'ledger', `${readable}-${digest}.json`);
}

/** Compact once the journal outgrows this (or the snapshot, whichever is larger). */
const COMPACT_AT_BYTES = 256 * 1024;
const READ_ATTEMPTS = 5;

export class Ledger {
  readonly file: string;
  readonly scope: string;
  #state: MutableLedgerState;
  #generation: number;
  #journal: JournalFile;
  /** The snapshot on disk is older than the state (a version-1 file): rewrite it at the next compaction. */
  #migrated: boolean;
  #snapshotBytes: number;
  #pending: JournalOp[] = [];
  #writing: Promise<void> = Promise.resolve();

  private constructor(file: string, scope: string, loaded: Loaded) {
    this.file = file;
    this.scope = scope;
    this.#state = loaded.state;
    this.#generation = loaded.generation;
    this.#journal = loaded.journal;
    this.#migrated = loaded.migrated;
    this.#snapshotBytes = loaded.snapshotBytes;
  }

  /** Loads the ledger of `scope`; a missing file is an empty ledger, a corrupt one is a LedgerError. */
  static async open(stateDir: string, scope: string): Promise<Ledger> {
    const file = ledgerFileFor(stateDir, scope);
    for (let attempt = 1; ; attempt++) {
      const before = await fileStamp(file);
      const loaded = await load(file, scope);
      // A writer compacted between our two reads: the journal we read may belong to an older snapshot.
      if ((await fileStamp(file)) === before || attempt >= READ_ATTEMPTS) return new Ledger(file, scope, loaded);
    }
  }

  /** An immutable view for one pass (observe, plan, status). */
  state(): LedgerState {
    return { identities: new Map(this.#state.identities), released: new Map(this.#state.released), provider: this.#state.provider };
  }

  identities(): LedgerIdentity[] {
    return [...this.#state.identities.values()];
  }

  identity(name: string): LedgerIdentity | undefined {
    return this.#state.identities.get(name);
  }

  leaseOf(worktreeKey: string): LedgerIdentity | undefined {
    return leaseHeldBy(this.#state.identities.values(), worktreeKey);
  }

  released(worktreeKey: string): ReleasedWorktree | undefined {
    return this.#state.released.get(worktreeKey);
  }

  get provider(): ProviderFacts {
    return this.#state.provider;
  }

  put(identity: LedgerIdentity): void {
    this.#record({ op: 'put', identity });
  }

  remove(name: string): void {
    if (this.#state.identities.has(name)) this.#record({ op: 'remove', name });
  }

  releaseWorktree(worktree: ReleasedWorktree): void {
    this.#record({ op: 'release-worktree', worktree });
  }

  reviveWorktree(worktreeKey: string): void {
    if (this.#state.released.has(worktreeKey)) this.#record({ op: 'revive-worktree', worktreeKey });
  }

  setProvider(provider: ProviderFacts): void {
    this.#record({ op: 'provider', provider });
  }

  /**
   * Makes every change so far durable: pending operations go out in one append and one fsync, however
   * many steps wait on them (group commit). Concurrent callers are serialised; each sees its change on disk.
   */
  flush(): Promise<void> {
    this.#writing = this.#writing.then(async () => {
      const ops = this.#pending.splice(0);
      if (ops.length === 0) return;
      await appendJournal(this.#journal, ops);
    });
    return this.#writing;
  }

  /**
   * Folds the journal into a new snapshot when it has grown (or the file on disk is version 1). Only
   * under the state lock. The previous snapshot is kept as `<file>.bak`.
   */
  async compactIfLarge(): Promise<void> {
    await this.flush();
    // The first write also makes the snapshot, so the ledger is one readable file from the start.
    const first = this.#snapshotBytes === 0 && this.#journal.size > 0;
    if (!first && !this.#migrated && this.#journal.size < Math.max(COMPACT_AT_BYTES, this.#snapshotBytes)) return;
    const next = this.#generation + 1;
    const text = `${JSON.stringify(snapshotOf(this.scope, next, this.#state), null, 2)}\n`;
    await keepBackup(this.file);
    await writeFileAtomically(this.file, text);
    await removeJournal(this.#journal);
    this.#generation = next;
    this.#journal = { path: journalPath(this.file, next), size: 0 };
    this.#migrated = false;
    this.#snapshotBytes = Buffer.byteLength(text);
  }

  #record(op: JournalOp): void {
    applyOp(this.#state, op);
    this.#pending.push(op);
  }
}

interface Loaded {
  readonly state: MutableLedgerState;
  readonly generation: number;
  readonly journal: JournalFile;
  readonly migrated: boolean;
  readonly snapshotBytes: number;
}

const HINT = 'Restore it from the backup beside it (.bak) or fix it by hand; ravi-orchestrator will not start from an empty ledger because it would lose track of the identities it owns.';

async function load(file: string, scope: string): Promise<Loaded> {
  let text: string | null;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new LedgerError(`Cannot read the ledger ${file}: ${(error as Error).message}`, { file, cause: error });
    }
    text = null;
  }
  const { state, generation, migrated } = text === null ? emptyLedger() : parseSnapshot(text, file, scope);
  const journal = journalPath(file, generation);
  const read = await readJournal(journal).catch((error: unknown) => {
    throw new LedgerError(`The ledger journal ${journal} is corrupt: ${(error as Error).message}. ${HINT}`, { file: journal, cause: error });
  });
  for (const op of read.ops) applyOp(state, op);
  return { state, generation, journal: { path: journal, size: read.size }, migrated, snapshotBytes: text === null ? 0 : Buffer.byteLength(text) };
}

function emptyLedger(): { state: MutableLedgerState; generation: number; migrated: boolean } {
  return { state: { identities: new Map(), released: new Map(), provider: EMPTY_PROVIDER }, generation: 0, migrated: false };
}

function parseSnapshot(text: string, file: string, scope: string): { state: MutableLedgerState; generation: number; migrated: boolean } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new LedgerError(`The ledger ${file} is not valid JSON (${(error as Error).message}). ${HINT}`, { file, cause: error });
  }
  const version = (json as { version?: unknown } | null)?.version;
  const parsed = version === 1 ? v1FileSchema.safeParse(json) : snapshotSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || '(root)';
    throw new LedgerError(`The ledger ${file} is malformed at ${where}: ${issue?.message ?? 'invalid'}. ${HINT}`, { file });
  }
  if (parsed.data.scope !== scope) {
    throw new LedgerError(`The ledger ${file} belongs to provider ${parsed.data.scope}, not ${scope}. ${HINT}`, { file });
  }
  if (parsed.data.version === 1) return { state: migrateV1(parsed.data), generation: 0, migrated: true };
  return { state: stateFromSnapshot(parsed.data), generation: parsed.data.generation, migrated: false };
}

function journalPath(file: string, generation: number): string {
  return `${file}.journal-${generation}`;
}

/** Identifies one version of the snapshot file; a compaction renames a new file over it. */
async function fileStamp(file: string): Promise<string> {
  try {
    const info = await stat(file, { bigint: true });
    return `${info.ino}:${info.mtimeNs}:${info.size}`;
  } catch {
    return 'absent';
  }
}
