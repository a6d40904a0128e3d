/**
 * The daemon publishes its state to `<stateDir>/daemon-status.json` (atomic rewrite) so that
 * `ravi-orchestrator status` can show it without talking to the process.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomically } from '../files/atomic-write.js';
import type { WatchStatus } from './watch-problems.js';

export interface PassSummary {
  readonly startedAt: string;
  readonly durationMs: number;
  readonly ok: boolean;
  readonly created: number;
  /** Idle identities handed to worktrees, and leases that ended (absent in files of older versions). */
  readonly leased?: number;
  readonly released?: number;
  readonly updated: number;
  readonly deleted: number;
  readonly failed: number;
}

export interface RepoStatus {
  readonly repo: string;
  readonly lastPass: PassSummary | null;
  /** The error of the last failed pass, and when it is retried. */
  readonly error: string | null;
  readonly retryAt: string | null;
}

export interface DaemonStatus {
  readonly pid: number;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly state: 'starting' | 'running' | 'stopping' | 'stopped';
  readonly configSource: string | null;
  readonly configError: string | null;
  readonly provider: string;
  readonly nextResyncAt: string | null;
  readonly queue: { readonly queued: readonly string[]; readonly running: readonly string[] };
  readonly repos: readonly RepoStatus[];
  readonly logFile: string | null;
  /** Where the local provider's servers listen, when the daemon runs them. */
  readonly mail: { readonly smtp: string; readonly sms: string } | null;
  /** The dashboard link (token included: this file is 0600), when the daemon serves one. */
  readonly dashboard?: { readonly url: string } | null;
  /** Folders watched, and those that could not be (with the fix); absent before the watches are placed. */
  readonly watch?: WatchStatus;
}

export function statusFileFor(stateDir: string): string {
  return join(stateDir, 'daemon-status.json');
}

export async function writeDaemonStatus(stateDir: string, status: DaemonStatus): Promise<void> {
  await writeFileAtomically(statusFileFor(stateDir), `${JSON.stringify(status, null, 2)}\n`);
}

export async function readDaemonStatus(stateDir: string): Promise<DaemonStatus | null> {
  try {
    return JSON.parse(await readFile(statusFileFor(stateDir), 'utf8')) as DaemonStatus;
  } catch {
    return null;
  }
}
