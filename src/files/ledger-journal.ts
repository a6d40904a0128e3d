/**
 * A store's journal (journaled-store.ts): one JSON operation per line, appended and fsynced. A write either lands whole
 * or is cut back off (a full disk must not leave half a line for the next append to glue onto), and a
 * torn last line (a crash mid-append, never acknowledged) is ignored on read. A complete line that does
 * not parse is corruption, reported, never skipped.
 */
import { closeSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { link, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AtomicWriteError } from './atomic-write.js';

export interface JournalFile {
  readonly path: string;
  /** Bytes of whole lines: where the next append starts. */
  size: number;
  /**
   * Open between appends that follow one another (a burst of group commits under the state lock), so each costs
   * a write and an fdatasync, not also an open, a stat and a close; closeJournal() when the burst ends.
   */
  fd?: number | undefined;
}

/**
 * Read in one synchronous call, as the snapshot is (journaled-store.ts): the pass waits on it, and an asynchronous
 * read is answered only when the main thread is next free, which in a one-shot pass is after the API's answers.
 */
export function readJournal<Op>(path: string, parseOp: (json: unknown) => Op | null): { ops: Op[]; size: number } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ops: [], size: 0 };
    throw error;
  }
  const end = text.lastIndexOf('\n') + 1; // after it: a torn line nobody was told had landed
  const ops: Op[] = [];
  const lines = text.slice(0, end).split('\n');
  lines.pop();
  lines.forEach((line, index) => {
    let op: Op | null;
    try {
      op = parseOp(JSON.parse(line));
    } catch {
      op = null;
    }
    if (op === null) throw new Error(`line ${index + 1} is not an operation`);
    ops.push(op);
  });
  return { ops, size: Buffer.byteLength(text.slice(0, end)) };
}

/**
 * Appends `ops` as lines with one write and one fdatasync; on failure the file is cut back to its old end and closed.
 * Only the fdatasync waits in Node's thread pool: the open, write, fstat and truncate of a small state file are
 * synchronous (microseconds each), where a FileHandle call cost the main thread a pool round trip each, queued
 * behind other writes' fsyncs (issue 16: a cold pass appends about once per identity created).
 */
export async function appendJournal(journal: JournalFile, ops: readonly unknown[]): Promise<void> {
  const bytes = Buffer.from(ops.map((op) => `${JSON.stringify(op)}\n`).join(''));
  const fd = journal.fd ?? (await openForAppend(journal));
  try {
    let written = 0;
    while (written < bytes.length) {
      const bytesWritten = writeSync(fd, bytes, written, bytes.length - written, null);
      if (bytesWritten === 0) throw Object.assign(new Error(`no progress writing ${journal.path}`), { code: 'EIO' });
      written += bytesWritten;
    }
    await (await import('./fd-calls.js')).fdDataSync(fd); // here: agent commands read the journal, never write it
  } catch (error) {
    attempt(() => ftruncateSync(fd, journal.size));
    await closeJournal(journal);
    throw await writeFailed(journal.path, error); // cut back to its last whole line: as it was
  }
  journal.size += bytes.length;
}

/** Opens the journal for a burst of appends; a torn tail a crashed writer left is cut first. */
async function openForAppend(journal: JournalFile): Promise<number> {
  let fd: number;
  try {
    if (journal.size === 0) mkdirSync(dirname(journal.path), { recursive: true, mode: 0o700 });
    fd = openSync(journal.path, 'a+', 0o600);
  } catch (error) {
    throw await writeFailed(journal.path, error);
  }
  try {
    // Cut so that our first line starts on a line of its own.
    const { size } = fstatSync(fd);
    if (size !== journal.size) ftruncateSync(fd, Math.min(size, journal.size));
  } catch (error) {
    attempt(() => closeSync(fd));
    throw await writeFailed(journal.path, error);
  }
  journal.fd = fd;
  return fd;
}

/** A clean-up step after a failure, whose own failure would hide the first one. */
function attempt(step: () => void): void {
  try {
    step();
  } catch {
    // the first error is the one to report
  }
}

/**
 * An append that failed with the journal as it was. atomic-write.ts (and its temp-file and fd modules) loads here,
 * on a write, not with the journal: `whoami` and `otp` only read the ledger and never pay for it.
 */
async function writeFailed(path: string, cause: unknown): Promise<AtomicWriteError> {
  const { AtomicWriteError } = await import('./atomic-write.js');
  return new AtomicWriteError(path, cause, true);
}

/** Ends a burst of appends (each append was already durable). */
export async function closeJournal(journal: JournalFile): Promise<void> {
  const fd = journal.fd;
  journal.fd = undefined;
  if (fd !== undefined) closeSync(fd);
}

export async function removeJournal(journal: JournalFile): Promise<void> {
  await closeJournal(journal);
  await rm(journal.path, { force: true });
}

/** Keeps the current snapshot as `<file>.bak` (a hard link: no copy, and the rename over `file` keeps it). */
export async function keepBackup(file: string): Promise<void> {
  const backup = `${file}.bak`;
  await rm(backup, { force: true });
  await link(file, backup).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  });
}
