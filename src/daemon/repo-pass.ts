/**
 * The daemon's reconciler for one key (a repo): one engine pass over that repo, then the outcome
 * for the workqueue: throw to retry with backoff, or ask to come back when the next orphan's grace
 * period ends. Also reports which files of the repo to watch, and what it saw or left in them.
 * When the watch named worktrees that just appeared, a focused pass serves them first (focus-pass.ts): their
 * `.env` is then written at a cost that does not grow with the repo, and the full pass follows in the same run.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../util/logger.js';
import type { Config } from '../config/types.js';
import type { Provider } from '../providers/types.js';
import { runPass, type PassReport } from '../reconcile/engine.js';
import { runFocusedPass, type FocusedPassReport } from '../reconcile/focus-pass.js';
import type { PassMemory } from '../reconcile/pass-memory.js';
import { isTransient, ProviderError } from '../util/errors.js';
import { countChanges } from '../reconcile/actions.js';
import type { PassSummary } from './status-file.js';
import { watchedPaths, type WatchedPath } from './watched-paths.js';

export interface RepoPassResult {
  readonly requeueAfterMs: number | undefined;
  readonly summary: PassSummary;
  /** Common dir of the repo, when its worktrees could be listed. */
  readonly commonDir: string | null;
  /** Files (and worktree folders) whose change should trigger a pass of this repo, with what this pass saw or left there. */
  readonly watch: readonly WatchedPath[];
  /** Named admin ids the focused pass found still being added (locked, half-made): worth naming again next run. */
  readonly unfinished: readonly string[];
}

/** A pass that should be retried with backoff; carries the summary for the status file. */
export class PassFailedError extends Error {
  override readonly name = 'PassFailedError';
  readonly summary: PassSummary;
  constructor(message: string, summary: PassSummary, options?: { cause?: unknown }) {
    super(message, options);
    this.summary = summary;
  }
}

export async function runRepoPass(options: {
  repo: string;
  config: Config;
  provider: Provider;
  logger: Logger;
  signal: AbortSignal;
  lockWaitMs: number;
  /** The daemon's, kept across passes. */
  memory?: PassMemory;
  /** Admin ids the watch saw appear in the repo since its last pass: served first, by a focused pass. */
  focus?: readonly string[];
  /** The quiet time after a focused pass wrote something, before the full pass (the daemon's debounce). @default 0 */
  settleMs?: number;
}): Promise<RepoPassResult> {
  const startedAt = new Date();
  const config: Config = { ...options.config, repos: [options.repo] };
  const pass = { config, provider: options.provider, logger: options.logger, mode: 'apply', signal: options.signal, lockWaitMs: options.lockWaitMs, memory: options.memory } as const;
  const focused = options.focus !== undefined && options.focus.length > 0 ? await focusedPass({ ...pass, adminIds: options.focus }) : null;
  // The .env just written is the signal its user (a person, a worktree tool) acts on: an edit, or a remove right
  // away. The full pass waits the same quiet time as after any event, so it does not read that worktree halfway
  // through those steps (and write a .env into a folder git is deleting, or over an edit still being written).
  if (focused !== null && focused.results.some((r) => r.status === 'done') && (options.settleMs ?? 0) > 0) {
    await sleep(options.settleMs, undefined, { signal: options.signal });
  }
  const report = await runPass(pass);
  if (report.settlingUntil !== null) {
    const settling = report.observed.repos[0]?.worktrees.filter((w) => w.settling === true).map((w) => w.worktree.path);
    options.logger.debug({ settling, until: new Date(report.settlingUntil).toISOString() }, 'a file of ours vanished: its worktree is left alone until that settles');
  }
  const summary = withFocused(summarize(report, startedAt), focused);
  const retryable = retryableFailure(report);
  if (retryable !== null) throw new PassFailedError(retryable.message, summary, { cause: retryable });
  const repo = report.observed.repos[0];
  const commonDir = repo?.inventory.ok ? repo.inventory.value.commonDir : null;
  return {
    requeueAfterMs: soonest(nextOrphanDeadline(report, config.orphans.graceMs, commonDir), settleDeadline(report)),
    summary,
    commonDir,
    watch: watchedPaths(report, config),
    unfinished: [...(focused?.skipped ?? [])].filter(([, why]) => why === 'locked' || why === 'half-made').map(([id]) => id),
  };
}

/** A focused pass that fails is only logged: the full pass right after does its work again, and reports. */
async function focusedPass(options: Parameters<typeof runFocusedPass>[0]): Promise<FocusedPassReport | null> {
  try {
    const report = await runFocusedPass(options);
    const skipped = report === null ? options.adminIds : [...report.skipped].map(([id, why]) => `${id}: ${why}`);
    options.logger.debug({ adminIds: options.adminIds, keys: report?.keys ?? [], skipped, actions: report?.plan.actions.length ?? 0, durationMs: report === null ? null : Math.round(report.durationMs) }, 'focused pass finished');
    return report;
  } catch (error) {
    if (options.signal?.aborted === true) throw error;
    options.logger.warn({ err: error, adminIds: options.adminIds }, 'focused pass failed; the full pass follows');
    return null;
  }
}

/** The run's summary: the full pass's outcome, with the changes both passes made. */
function withFocused(summary: PassSummary, focused: FocusedPassReport | null): PassSummary {
  if (focused === null) return summary;
  const counts = countChanges(focused.results.filter((r) => r.status === 'done').map((r) => r.action));
  return {
    ...summary,
    durationMs: summary.durationMs + Math.round(focused.durationMs),
    created: summary.created + counts.create,
    leased: (summary.leased ?? 0) + counts.lease,
    released: (summary.released ?? 0) + counts.release,
    updated: summary.updated + counts.update,
    deleted: summary.deleted + counts.delete,
  };
}

function summarize(report: PassReport, startedAt: Date): PassSummary {
  const done = report.results.filter((r) => r.status === 'done').map((r) => r.action);
  const counts = countChanges(done);
  const failed = report.results.filter((r) => r.status === 'failed').length + report.plan.problems.length;
  return { startedAt: startedAt.toISOString(), durationMs: Math.round(report.durationMs), ok: failed === 0, created: counts.create, leased: counts.lease, released: counts.release, updated: counts.update, deleted: counts.delete, failed };
}

/** Failures that time may fix (network, 5xx, 429, a repo that cannot be listed right now). */
function retryableFailure(report: PassReport): Error | null {
  const repo = report.observed.repos[0];
  if (repo !== undefined && !repo.inventory.ok) return repo.inventory.error;
  if (!report.observed.identities.ok && isRetryable(report.observed.identities.error)) return report.observed.identities.error;
  const failed = report.results.find((r) => r.status === 'failed' && r.error !== null && isRetryable(r.error));
  return failed?.error ?? null;
}

function isRetryable(error: Error): boolean {
  return isTransient(error) || !(error instanceof ProviderError);
}

/** A worktree left alone because a file of ours just vanished (vanished-files.ts) is looked at again once that settled. */
function settleDeadline(report: PassReport): number | undefined {
  return report.settlingUntil === null ? undefined : Math.max(0, report.settlingUntil - report.observed.now) + 50;
}

function soonest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

/** When the soonest orphaned lease of this repo ends, so it ends on time without waiting for a resync. */
function nextOrphanDeadline(report: PassReport, graceMs: number, commonDir: string | null): number | undefined {
  if (commonDir === null) return undefined;
  const now = report.observed.now;
  const managed = new Set(report.observed.repos[0]?.worktrees.filter((w) => w.managed || w.worktree.locked).map((w) => w.key));
  let soonest: number | undefined;
  for (const { lease, state } of report.ledgerAfter.identities.values()) {
    if (lease === null || lease.commonDir !== commonDir || managed.has(lease.worktreeKey) || state !== 'ready') continue;
    const due = (lease.orphanedSince === null ? now : Date.parse(lease.orphanedSince)) + graceMs - now;
    if (due > 0 && (soonest === undefined || due < soonest)) soonest = due;
  }
  return soonest === undefined ? undefined : soonest + 250; // land just after the deadline, not just before
}
