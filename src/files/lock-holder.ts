/**
 * Who holds the state lock, written inside the lock's folder, so that a waiter can take over the lock of a holder
 * that was killed (SIGKILL, the OOM killer, a power-off of a VM) at once instead of after proper-lockfile's 10 s
 * staleness. The record goes with its lock: it lives in the lock's folder, which is removed with it.
 *
 * A holder is "provably dead" only when the waiter can see the holder's process table: the same kernel (Linux's
 * boot id) and the same pid namespace (a container has its own), or, where there is no /proc, the same host name.
 * Then no process has that pid, the one that has it started at another time (the pid was reused), or it is a
 * zombie (killed, not yet waited for by its parent). Anything else
 * (another machine on a shared disk, another container, a torn record, no record yet) proves nothing: the waiter
 * waits for the lock to go stale, as before.
 */
import { readFileSync, readlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { pidExists, processStartOf, processStatus } from '../util/process-start.js';

/** The record's name inside the lock's folder. */
export const HOLDER_FILE = 'holder';

export interface LockHolder {
  readonly pid: number;
  /** /proc/<pid>/stat's start time; null without /proc. */
  readonly start: string | null;
  readonly host: string;
  /** /proc/sys/kernel/random/boot_id; null without /proc. */
  readonly boot: string | null;
  /** readlink /proc/self/ns/pid (`pid:[4026531836]`); null without /proc. */
  readonly pidNamespace: string | null;
}

/** This process, as a holder record says it: read from /proc once, as the daemon takes the lock for every pass. */
export function currentHolder(): LockHolder {
  self ??= { pid: process.pid, start: processStartOf(process.pid), ...where() };
  return self;
}

let self: LockHolder | undefined;

/** Writes this process's record into the lock folder it just took. Best effort: without it, waiters wait for staleness. */
export function recordHolder(lockDir: string): void {
  try {
    writeFileSync(join(lockDir, HOLDER_FILE), `${JSON.stringify(currentHolder())}\n`, { mode: 0o600 });
  } catch {
    // a read-only or full disk: the lock still holds; only the early takeover is lost
  }
}

/** Removes the record before its folder goes (the folder must be empty to be removed). */
export function forgetHolder(lockDir: string): void {
  try {
    unlinkSync(join(lockDir, HOLDER_FILE));
  } catch {
    // none written, or gone already
  }
}

/** The record in a lock folder; null when there is none or it is not one of ours (torn, edited). */
export function readHolder(lockDir: string): LockHolder | null {
  try {
    const parsed = JSON.parse(readFileSync(join(lockDir, HOLDER_FILE), 'utf8')) as Partial<Record<keyof LockHolder, unknown>>;
    const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
    if (typeof parsed.pid !== 'number' || !Number.isInteger(parsed.pid) || parsed.pid <= 0 || typeof parsed.host !== 'string') return null;
    return { pid: parsed.pid, start: text(parsed.start), host: parsed.host, boot: text(parsed.boot), pidNamespace: text(parsed.pidNamespace) };
  } catch {
    return null;
  }
}

/** Whether `holder`'s process is certainly gone, as seen from here (the file's header says when that can be told). */
export function provablyDead(holder: LockHolder): boolean {
  const here = where();
  if (holder.host !== here.host || holder.boot !== here.boot || holder.pidNamespace !== here.pidNamespace) return false;
  if (!pidExists(holder.pid)) return true;
  // A process has that pid: the holder only if it started when the record says, and a zombie (killed, its parent
  // not yet waiting for it) holds nothing. Without /proc, or with the process hidden from us, we cannot tell: alive.
  const status = processStatus(holder.pid);
  if (holder.start === null || status === null) return false;
  return status.start !== holder.start || status.state === 'Z' || status.state === 'X';
}

/** The same two records: the holder a waiter judged is still the one in the folder. */
export function sameHolder(a: LockHolder, b: LockHolder): boolean {
  return a.pid === b.pid && a.start === b.start && a.host === b.host && a.boot === b.boot && a.pidNamespace === b.pidNamespace;
}

let here: Pick<LockHolder, 'host' | 'boot' | 'pidNamespace'> | undefined;

function where(): Pick<LockHolder, 'host' | 'boot' | 'pidNamespace'> {
  here ??= { host: hostname(), boot: orNull(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()), pidNamespace: orNull(() => readlinkSync('/proc/self/ns/pid')) };
  return here;
}

function orNull(read: () => string): string | null {
  try {
    return read();
  } catch {
    return null;
  }
}
