/**
 * State that must survive a crash at any moment, kept as a snapshot (rewritten atomically only when
 * compacted) plus an append-only journal of whole operations: each write-ahead step costs one small
 * fsynced append, however large the state, and concurrent steps share one append (group commit). The
 * identity ledger and the port ledger are both one. Writers hold the state lock; readers retry when a
 * compaction replaced the snapshot between their two reads.
 */
import { readFileSync, statSync } from 'node:fs';
import { appendJournal, closeJournal, keepBackup, readJournal, removeJournal, type JournalFile } from './ledger-journal.js';

/** What a store holds and how its files read and write. */
export interface StoreModel<S, Op> {
  /** For messages: 'ledger', 'port ledger'. */
  readonly what: string;
  empty(): S;
  /** Parses the snapshot's JSON; throws an Error saying what is wrong. `migrated`: the file is an older version. */
  fromSnapshot(json: unknown): { state: S; generation: number; migrated: boolean };
  toSnapshot(state: S, generation: number): unknown;
  /** Parses one journal line's JSON; null when it is not an operation. */
  parseOp(json: unknown): Op | null;
  apply(state: S, op: Op): void;
}

/** The store's files exist but cannot be trusted; we refuse rather than start from empty. */
export class LedgerError extends Error {
  override readonly name = 'LedgerError';
  readonly file: string;
  constructor(message: string, details: { file: string; cause?: unknown }) {
    super(message, { cause: details.cause });
    this.file = details.file;
  }
}

/** Compact once the journal outgrows this (or the snapshot, whichever is larger). */
const COMPACT_AT_BYTES = 256 * 1024;
const READ_ATTEMPTS = 5;

export class JournaledStore<S, Op> {
  readonly file: string;
  readonly state: S;
  readonly #model: StoreModel<S, Op>;
  #generation: number;
  #journal: JournalFile;
  #migrated: boolean;
  #snapshotBytes: number;
  #pending: Op[] = [];
  #writing: Promise<void> = Promise.resolve();
  /** Flushes called and not yet settled: the journal is closed when the last one ends. */
  #queued = 0;
  /** A flush failed: the state in memory holds operations the disk may not. */
  #diverged = false;

  /** The snapshot file as this instance read or last wrote it. */
  #stamp: string;

  private constructor(file: string, model: StoreModel<S, Op>, loaded: Loaded<S>, stamp: string) {
    this.#stamp = stamp;
    this.file = file;
    this.#model = model;
    this.state = loaded.state;
    this.#generation = loaded.generation;
    this.#journal = loaded.journal;
    this.#migrated = loaded.migrated;
    this.#snapshotBytes = loaded.snapshotBytes;
  }

  /** A missing file is an empty store; a corrupt one is a LedgerError naming the file and the backup. */
  static async open<S, Op>(file: string, model: StoreModel<S, Op>): Promise<JournaledStore<S, Op>> {
    for (let attempt = 1; ; attempt++) {
      const before = fileStamp(file);
      const loaded = await load(file, model);
      // A writer compacted between our two reads: the journal we read may belong to an older snapshot.
      if (fileStamp(file) === before || attempt >= READ_ATTEMPTS) return new JournaledStore(file, model, loaded, before);
    }
  }

  /**
   * Whether no other process changed the store since this instance read or wrote it (same snapshot, journal
   * of the length we know): a writer may then keep using this instance instead of reading it all again.
   */
  async isCurrent(): Promise<boolean> {
    if (!(await this.#writing.then(() => true, () => false))) return false;
    // Operations applied in memory but not on disk (never flushed, or a flush that failed) would be kept by mistake.
    if (this.#diverged || this.#pending.length > 0) return false;
    if (fileStamp(this.file) !== this.#stamp) return false;
    let size = 0;
    try {
      size = statSync(this.#journal.path).size;
    } catch {
      // absent (or unreadable): an empty journal, as before
    }
    return size === this.#journal.size;
  }

  /** Applies `op` now; it is on disk once flush() resolves. */
  record(op: Op): void {
    this.#model.apply(this.state, op);
    this.#pending.push(op);
  }

  /**
   * Makes every change so far durable with one append and one fsync; concurrent callers are serialised, and the
   * changes recorded while an append is under way go out together in the next one (group commit). The journal
   * stays open while flushes follow one another and is closed once none is waiting.
   */
  flush(): Promise<void> {
    this.#queued += 1;
    const run = this.#writing.then(async () => {
      const ops = this.#pending.splice(0);
      if (ops.length > 0) {
        try {
          await appendJournal(this.#journal, ops);
        } catch (error) {
          this.#diverged = true;
          throw error;
        }
      }
    });
    this.#writing = run.finally(async () => {
      this.#queued -= 1;
      if (this.#queued === 0) await closeJournal(this.#journal).catch(() => {});
    });
    return this.#writing;
  }

  /**
   * Folds the journal into a new snapshot on the first write (so the store is one readable file from the
   * start), when the journal has grown, or when the file on disk is an older version. Only under the state
   * lock. The previous snapshot is kept as `<file>.bak`.
   */
  async compactIfLarge(): Promise<void> {
    await this.flush();
    const first = this.#snapshotBytes === 0 && this.#journal.size > 0;
    if (!first && !this.#migrated && this.#journal.size < Math.max(COMPACT_AT_BYTES, this.#snapshotBytes)) return;
    const next = this.#generation + 1;
    const text = `${JSON.stringify(this.#model.toSnapshot(this.state, next), null, 2)}\n`;
    // Loaded by the first compaction, not with the store: readers (`whoami`, `otp`) never write a snapshot.
    const { writeFileAtomically } = await import('./atomic-write.js');
    await keepBackup(this.file);
    await writeFileAtomically(this.file, text);
    await removeJournal(this.#journal);
    this.#generation = next;
    this.#journal = { path: journalPath(this.file, next), size: 0 };
    this.#migrated = false;
    this.#snapshotBytes = Buffer.byteLength(text);
    this.#stamp = fileStamp(this.file);
  }
}

interface Loaded<S> {
  readonly state: S;
  readonly generation: number;
  readonly journal: JournalFile;
  readonly migrated: boolean;
  readonly snapshotBytes: number;
}

async function load<S, Op>(file: string, model: StoreModel<S, Op>): Promise<Loaded<S>> {
  const hint = `Restore it from the backup beside it (.bak) or fix it by hand; ravi-orchestrator will not start from an empty ${model.what} because it would lose track of what it owns.`;
  let text: string | null;
  try {
    text = readFileSync(file, 'utf8'); // one read, not several thread-pool round trips: `whoami` waits on it
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new LedgerError(`Cannot read the ${model.what} ${file}: ${(error as Error).message}`, { file, cause: error });
    }
    text = null;
  }
  let parsed: { state: S; generation: number; migrated: boolean };
  if (text === null) parsed = { state: model.empty(), generation: 0, migrated: false };
  else {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new LedgerError(`The ${model.what} ${file} is not valid JSON (${(error as Error).message}). ${hint}`, { file, cause: error });
    }
    try {
      parsed = model.fromSnapshot(json);
    } catch (error) {
      throw new LedgerError(`The ${model.what} ${file} ${(error as Error).message}. ${hint}`, { file, cause: error });
    }
  }
  const journal = journalPath(file, parsed.generation);
  let read: { ops: Op[]; size: number };
  try {
    read = readJournal(journal, (json) => model.parseOp(json));
  } catch (error) {
    throw new LedgerError(`The ${model.what} journal ${journal} is corrupt: ${(error as Error).message}. ${hint}`, { file: journal, cause: error });
  }
  for (const op of read.ops) model.apply(parsed.state, op);
  return { state: parsed.state, generation: parsed.generation, journal: { path: journal, size: read.size }, migrated: parsed.migrated, snapshotBytes: text === null ? 0 : Buffer.byteLength(text) };
}

function journalPath(file: string, generation: number): string {
  return `${file}.journal-${generation}`;
}

/**
 * Identifies one version of the snapshot file; a compaction renames a new file over it. Synchronous: a writer asks
 * before each change it makes (isCurrent), and one stat is microseconds where a promise's pool round trip cost the
 * main thread more, behind other writes' fsyncs (issue 16).
 */
function fileStamp(file: string): string {
  try {
    const info = statSync(file, { bigint: true });
    return `${info.ino}:${info.mtimeNs}:${info.size}`;
  } catch {
    return 'absent';
  }
}
