/**
 * One daemon per state dir: `<stateDir>/daemon.pid` holds the owner's pid and start time. A file
 * whose process is dead (or whose pid was reused by another process) is stale and taken over. The
 * check-and-create runs under a short proper-lockfile lock so two daemons starting at once cannot
 * both take over the same stale file.
 */
import { readFile, unlink, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { lockfile } from '../files/state-lock.js';
import { pidExists, processStartOf } from '../util/process-start.js';

export interface DaemonIdentity {
  readonly pid: number;
  readonly startedAt: string;
  /** Kernel start time of the process (Linux /proc), to tell a reused pid from the owner. */
  readonly processStart: string | null;
}

export class DaemonRunningError extends Error {
  override readonly name = 'DaemonRunningError';
  readonly holder: DaemonIdentity;
  constructor(file: string, holder: DaemonIdentity) {
    super(`Another ravi-orchestrator daemon (pid ${holder.pid}, started ${holder.startedAt}) already runs for this state dir (${file}). Stop it first: ravi-orchestrator service uninstall, or kill ${holder.pid}.`);
    this.holder = holder;
  }
}

export interface InstanceLock {
  readonly file: string;
  readonly self: DaemonIdentity;
  release(): Promise<void>;
}

export function pidFileFor(stateDir: string): string {
  return join(stateDir, 'daemon.pid');
}

export async function acquireInstanceLock(stateDir: string, now: Date = new Date()): Promise<InstanceLock> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const file = pidFileFor(stateDir);
  const self: DaemonIdentity = { pid: process.pid, startedAt: now.toISOString(), processStart: processStartOf(process.pid) };
  const releaseGuard = await lockfile.lock(stateDir, {
    lockfilePath: join(stateDir, 'daemon.pid.lock'),
    realpath: false,
    stale: 10_000,
    retries: { retries: 40, minTimeout: 50, maxTimeout: 250, factor: 1.5 },
  });
  try {
    const holder = await readHolder(file);
    if (holder !== null && holder.pid !== process.pid && isAlive(holder)) throw new DaemonRunningError(file, holder);
    await writeFile(file, `${JSON.stringify(self)}\n`, { mode: 0o600 });
  } finally {
    await releaseGuard();
  }
  let released: Promise<void> | null = null;
  return {
    file,
    self,
    release: () =>
      (released ??= (async () => {
        const holder = await readHolder(file);
        if (holder?.pid === self.pid) await unlink(file).catch(() => {});
      })()),
  };
}

/** The daemon recorded in the state dir, if its process still runs. */
export async function runningDaemon(stateDir: string): Promise<DaemonIdentity | null> {
  const holder = await readHolder(pidFileFor(stateDir));
  return holder !== null && isAlive(holder) ? holder : null;
}

async function readHolder(file: string): Promise<DaemonIdentity | null> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<DaemonIdentity>;
    if (typeof parsed.pid !== 'number' || !Number.isInteger(parsed.pid) || parsed.pid <= 0) return null;
    return { pid: parsed.pid, startedAt: String(parsed.startedAt ?? ''), processStart: typeof parsed.processStart === 'string' ? parsed.processStart : null };
  } catch {
    return null; // absent or torn: nobody we can prove alive holds it
  }
}

function isAlive(holder: DaemonIdentity): boolean {
  if (!pidExists(holder.pid)) return false;
  const start = processStartOf(holder.pid);
  // Same pid but a different start time: the owner died and the pid was reused.
  return holder.processStart === null || start === null || start === holder.processStart;
}
