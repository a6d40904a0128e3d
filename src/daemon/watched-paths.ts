/**
 * What the daemon watches in a repo's worktrees, each path with a fingerprint of what the last pass saw
 * there or left there, and the check that tells whether a path differs from it now. The daemon uses it
 * twice: right after a watch becomes ready (an edit made before that sent no event) and when a watch
 * event arrives (our own write coming back, or a file put back as it was, needs no pass).
 *
 * A fingerprint is what the next pass would observe, in the terms observe() reads it, so "equal" means
 * "a pass would see exactly what the last one saw or left". Not mtimes: a same-second edit can keep one.
 * - env file: a SHA-256 of its text (observe keeps the whole text; the hash keeps no secret in memory),
 *   "absent", or observe's reason it cannot be used (a directory, a symlink, unreadable).
 * - `.ravi/config.json`: the facts observe takes from it (exists, malformed, identity uuid, whether it holds
 *   an identity key or a management key); the planner reads nothing else, and the key just minted into it
 *   is nowhere else to compare with. An edit that keeps those facts changes no pass's outcome.
 * - worktree folder: whether it is a folder, as observe checks. Its `rm -rf` removes no git admin file,
 *   so no other source reports it; a folder deleted and made again shows in its env file (gone).
 * For a file this pass wrote, the fingerprint is of what apply wrote, rebuilt from the same pure render
 * and the ledger as apply left it. Should that ever differ from the bytes on disk (an edit between observe
 * and apply's re-read, or apply changing its output), the check reports a change and costs one more pass:
 * the error is always on the side of looking again, never of missing an edit.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Config } from '../config/types.js';
import type { LedgerIdentity } from '../files/ledger.js';
import type { PassReport } from '../reconcile/engine.js';
import type { ObservedEnvFile, ObservedScopedConfig, ObservedWorktree } from '../reconcile/observed.js';
import { readEnvFile, readScopedConfig } from '../reconcile/observe-files.js';
import { needsIdentities, renderWorktreeEnv } from '../reconcile/desired-env.js';
import { SCOPED_CONFIG_PATH } from '../reconcile/plan-worktree.js';
import { vaultOf } from '../reconcile/plan.js';
import { mapConcurrent } from '../util/map-concurrent.js';

export interface WatchedPath {
  /** Absolute path of a file or a worktree folder. */
  readonly path: string;
  readonly kind: 'folder' | 'env' | 'scoped';
  /** Fingerprint of what the last pass saw or wrote here; null when it cannot tell (always counts as changed). */
  readonly seen: string | null;
}

/** The managed worktrees' folders, env files and (with scoped keys) `.ravi/config.json`, after `report`'s pass. */
export function watchedPaths(report: PassReport, config: Config): WatchedPath[] {
  const repo = report.observed.repos[0];
  if (repo === undefined || !repo.inventory.ok) return [];
  const written = writtenByKey(report);
  // One map, not a scan of the ledger per worktree: at 2000 worktrees that was 4 million steps a pass.
  const leaseOf = new Map<string, LedgerIdentity>();
  for (const identity of report.ledgerAfter.identities.values()) {
    if (identity.lease !== null && !leaseOf.has(identity.lease.worktreeKey)) leaseOf.set(identity.lease.worktreeKey, identity);
  }
  const paths: WatchedPath[] = [];
  for (const worktree of repo.worktrees) {
    if (!worktree.managed || worktree.key === null) continue;
    const wrote = written.get(worktree.key) ?? new Set<string>();
    const entry = leaseOf.get(worktree.key);
    const path = worktree.worktree.path;
    paths.push({ path, kind: 'folder', seen: FOLDER }); // managed: observe found its folder
    const env = wrote.has('write-env') ? envWritten(worktree, entry, repo.inventory.value.repoName, report, config) : envFingerprint(worktree.env);
    paths.push({ path: join(path, config.env.file), kind: 'env', seen: env });
    if (report.observed.issuesScopedKeys) {
      const scoped = wrote.has('write-scoped-key') ? scopedWritten(entry) : scopedFingerprint(worktree.scoped);
      paths.push({ path: join(path, SCOPED_CONFIG_PATH), kind: 'scoped', seen: scoped });
    }
  }
  return paths;
}

/**
 * The first of `paths` whose fingerprint differs from what the pass saw or left, or null when none does.
 * Never rejects: a path that cannot be read counts as changed (the pass will say why).
 */
export async function firstChanged(paths: readonly WatchedPath[]): Promise<WatchedPath | null> {
  const changed = await mapConcurrent(paths, CHECK_CONCURRENCY, async (watched) => {
    if (watched.seen === null) return true;
    return (await fingerprintNow(watched).catch(() => null)) !== watched.seen;
  });
  return paths[changed.indexOf(true)] ?? null;
}

/** Reading files is cheap; bound it so that 500 worktrees do not open 1000 files at once (as observe does). */
const CHECK_CONCURRENCY = 16;
const FOLDER = 'folder';

async function fingerprintNow(watched: WatchedPath): Promise<string> {
  const folder = dirname(watched.path);
  const name = basename(watched.path);
  switch (watched.kind) {
    case 'folder':
      return (await stat(watched.path).then((s) => s.isDirectory(), () => false)) ? FOLDER : 'missing';
    case 'env':
      return envFingerprint(await readEnvFile(folder, name)) as string;
    case 'scoped':
      return scopedFingerprint(await readScopedConfig(folder, name)) as string;
  }
}

function envFingerprint(env: Pick<ObservedEnvFile, 'content' | 'error'> | null): string | null {
  if (env === null) return null; // not read by the pass
  if (env.error !== null) return `unusable: ${env.error}`;
  return env.content === null ? 'absent' : `sha256:${createHash('sha256').update(env.content).digest('hex')}`;
}

function scopedFingerprint(scoped: Omit<ObservedScopedConfig, 'path'> | null): string | null {
  if (scoped === null) return null;
  return JSON.stringify([scoped.exists, scoped.malformed, scoped.identityUuid, scoped.hasIdentityKey, scoped.hasManagementKey]);
}

/** What apply wrote: the same render over the text observe read, with the entry as apply left it. */
function envWritten(worktree: ObservedWorktree, entry: LedgerIdentity | undefined, repoName: string, report: PassReport, config: Config): string | null {
  const identityNeeded = needsIdentities(config);
  if ((identityNeeded && (entry === undefined || entry.state !== 'ready')) || worktree.env === null || worktree.env.error !== null) return null;
  const block = worktree.key === null ? undefined : report.portsAfter.blocks.get(worktree.key);
  if (config.ports !== null && block === undefined) return null;
  try {
    const facts = { repoName, adminId: worktree.worktree.adminId as string, branch: worktree.worktree.branch, ports: config.ports === null ? null : block };
    const { render } = renderWorktreeEnv(config.env, identityNeeded ? (entry ?? null) : null, facts, vaultOf(report.observed), worktree.env.content);
    return envFingerprint({ content: render.content, error: null });
  } catch {
    return null;
  }
}

/** What apply wrote: a key of this identity, and no management key. */
function scopedWritten(entry: LedgerIdentity | undefined): string | null {
  if (entry === undefined || entry.uuid === null) return null;
  return scopedFingerprint({ exists: true, malformed: false, identityUuid: entry.uuid, hasIdentityKey: true, hasManagementKey: false });
}

/** Ledger key -> the file-writing actions that succeeded for it in this pass. */
function writtenByKey(report: PassReport): Map<string, Set<string>> {
  const written = new Map<string, Set<string>>();
  for (const { action, status } of report.results) {
    if (status !== 'done' || (action.type !== 'write-env' && action.type !== 'write-scoped-key')) continue;
    const set = written.get(action.key) ?? new Set<string>();
    set.add(action.type);
    written.set(action.key, set);
  }
  return written;
}
