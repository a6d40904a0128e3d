/**
 * The audit trail: one JSON line per lifecycle event in `<stateDir>/audit/audit.jsonl`, appended with a
 * single write and fsynced (a crash keeps every line written before it; a torn last line is skipped on
 * read), rotated by size. Names and ids only: never a secret value, never a verification code.
 */
import { closeSync, fstatSync, mkdirSync, openSync, readSync, renameSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fdSync } from '../files/fd-calls.js';

export type AuditEventType =
  | 'identity.created'
  | 'identity.adopted'
  | 'identity.deleted'
  /** The provider refused a deletion; the identity stays in the pool. */
  | 'identity.kept'
  /** Its record left the ledger: it vanished at the provider, or its create never happened. */
  | 'identity.forgotten'
  | 'lease.started'
  | 'lease.ended'
  | 'key.minted'
  | 'env.written'
  | 'code.handed'
  | 'link.handed'
  | 'error';

export interface AuditEvent {
  readonly type: AuditEventType;
  readonly repo: string | null;
  readonly worktree: string | null;
  readonly branch: string | null;
  readonly identity: string | null;
  /** Why: 'teardown', 'orphan sweep', 'crash recovery', the keys that changed, a message id, an error. */
  readonly detail: Readonly<Record<string, string | number | boolean | readonly string[] | null>>;
}

export interface AuditRecord extends AuditEvent {
  readonly time: string;
}

const MAX_BYTES = 10 * 1024 * 1024;
const KEEP = 5;

export function auditFile(stateDir: string): string {
  return join(stateDir, 'audit', 'audit.jsonl');
}

/**
 * Appends one event, durable when it resolves; failures are returned to the caller to log, never thrown into
 * a reconcile. Events of one process that arrive while a write is under way go out together in the next
 * one (group commit): a cold pass of 1000 worktrees records ~3000 events, and one fsync each was seconds.
 */
export function appendAudit(stateDir: string, event: AuditEvent, now: Date = new Date()): Promise<void> {
  const line = `${JSON.stringify({ time: now.toISOString(), ...event })}\n`;
  const file = auditFile(stateDir);
  let writer = writers.get(file);
  if (writer === undefined) {
    writer = { pending: [], running: null };
    writers.set(file, writer);
  }
  const batch = writer.pending;
  batch.push(line);
  if (batch.length === 1) {
    const owner = writer;
    // After the write under way (whatever became of it): every line queued meanwhile joins this batch.
    const run = (owner.running ?? Promise.resolve()).catch(() => {}).then(() => {
      owner.pending = [];
      return writeLines(stateDir, file, batch);
    });
    owner.running = run;
    batch.done = run.finally(() => {
      if (owner.running === run && writers.get(file) === owner) writers.delete(file); // idle again
    });
  }
  return batch.done as Promise<void>;
}

type Batch = string[] & { done?: Promise<void> };
const writers = new Map<string, { pending: Batch; running: Promise<void> | null }>();

/**
 * Only the fsync waits in Node's thread pool; the open, the look at the size and the last byte, and the write are
 * synchronous (microseconds each on a small local file), where each was a pool round trip that cost the main
 * thread more and queued behind other writes' fsyncs (issue 16: a cold pass of 500 worktrees writes about 150
 * batches). The folder is made, and the file rotated, only when the open or its size says so.
 */
async function writeLines(stateDir: string, file: string, lines: readonly string[]): Promise<void> {
  let fd = openAudit(stateDir, file);
  try {
    let { size } = fstatSync(fd);
    if (size >= MAX_BYTES) {
      closeSync(fd);
      fd = -1;
      rotate(file);
      fd = openAudit(stateDir, file);
      size = fstatSync(fd).size;
    }
    // A write cut short by a full disk leaves half a line; ours must not be glued onto it (both would be lost).
    const last = Buffer.alloc(1);
    const torn = size > 0 && readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a;
    // One write in append mode: concurrent writers (daemon, CLI) never interleave inside a line.
    writeAll(fd, Buffer.from(`${torn ? '\n' : ''}${lines.join('')}`));
    await fdSync(fd);
  } finally {
    if (fd !== -1) closeSync(fd);
  }
}

function openAudit(stateDir: string, file: string): number {
  try {
    return openSync(file, 'a+', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    mkdirSync(join(stateDir, 'audit'), { recursive: true, mode: 0o700 });
    return openSync(file, 'a+', 0o600);
  }
}

/** As FileHandle.write did: on until every byte is written (a short count is not an error of its own). */
function writeAll(fd: number, bytes: Buffer): void {
  let written = 0;
  while (written < bytes.length) {
    const count = writeSync(fd, bytes, written, bytes.length - written, null);
    if (count === 0) throw Object.assign(new Error('no progress writing the audit log'), { code: 'EIO' });
    written += count;
  }
}

/** audit.jsonl becomes audit.jsonl.1, the older ones move up, the oldest beyond KEEP is replaced. */
function rotate(file: string): void {
  for (let n = KEEP - 1; n >= 1; n -= 1) attempt(() => renameSync(`${file}.${n}`, `${file}.${n + 1}`));
  attempt(() => renameSync(file, `${file}.1`));
}

function attempt(step: () => void): void {
  try {
    step();
  } catch {
    // a missing older file: nothing to move
  }
}

export interface AuditQuery {
  readonly worktree?: string | null;
  readonly identity?: string | null;
  /** Only records at or after this time (ms since epoch). */
  readonly since?: number | null;
}

/** Oldest first, across rotated files; lines that do not parse (a torn last line) are skipped. */
export async function readAudit(stateDir: string, query: AuditQuery = {}): Promise<AuditRecord[]> {
  const records: AuditRecord[] = [];
  for (const path of auditFilesOldestFirst(stateDir)) records.push(...(await readRecords(path, query)));
  return records;
}

/**
 * The newest `count` records, newest first, reading rotated files only as far back as needed: the
 * dashboard asks on every live update and must not parse 60 MB of history for 50 rows.
 */
export async function readAuditTail(stateDir: string, count: number): Promise<AuditRecord[]> {
  const newest: AuditRecord[] = [];
  for (const path of auditFilesOldestFirst(stateDir).reverse()) {
    newest.push(...(await readRecords(path, {})).reverse());
    if (newest.length >= count) break;
  }
  return newest.slice(0, count);
}

function auditFilesOldestFirst(stateDir: string): string[] {
  const file = auditFile(stateDir);
  return [...Array.from({ length: KEEP }, (_, i) => `${file}.${KEEP - i}`), file];
}

async function readRecords(path: string, query: AuditQuery): Promise<AuditRecord[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const records: AuditRecord[] = [];
  for (const line of text.split('\n')) {
    const record = parseLine(line);
    if (record !== null && matches(record, query)) records.push(record);
  }
  return records;
}

function parseLine(line: string): AuditRecord | null {
  if (line.trim() === '') return null;
  try {
    const value = JSON.parse(line) as Partial<AuditRecord>;
    return typeof value.time === 'string' && typeof value.type === 'string' ? (value as AuditRecord) : null;
  } catch {
    return null;
  }
}

function matches(record: AuditRecord, query: AuditQuery): boolean {
  if (query.worktree != null && record.worktree !== query.worktree) return false;
  if (query.identity != null && record.identity !== query.identity) return false;
  if (query.since != null && Date.parse(record.time) < query.since) return false;
  return true;
}
