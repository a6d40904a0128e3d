/**
 * observe(): reads the whole truth for one pass: every repo's worktrees, the provider's identities,
 * the vault, the ledger and each managed worktree's files. Failures are captured as data so the
 * planner can decide what is still safe to do.
 */
import { statSync } from 'node:fs';
import type { Config } from '../config/types.js';
import type { Provider } from '../providers/types.js';
import type { Ledger } from '../files/ledger.js';
import type { PortLedger } from '../ports/port-ledger.js';
import { worktreeKey } from '../files/ledger.js';
import { listWorktrees } from '../git/worktrees.js';
import { checkIgnored } from '../git/ignore.js';
import type { RepoInventory, Worktree } from '../git/types.js';
import { mapConcurrent } from '../util/map-concurrent.js';
import { samePath } from '../util/same-path.js';
import type { Observed, ObservedRepo, ObservedWorktree, Outcome, RepoClaim } from './observed.js';
import { ownershipProblem, readRepoOwner } from './repo-claim.js';
import { readEnvFile, readScopedConfig } from './observe-files.js';
import { createWorktreeSelector, type WorktreeSelector } from './worktree-filter.js';
import { SCOPED_CONFIG_PATH } from './plan-worktree.js';
import { tempFileExample } from '../files/temp-files.js';
import type { PassLooks } from './pass-memory.js';

export interface ObserveOptions {
  readonly now: number;
  /** Only this worktree's files are read (`--worktree`, canonical path); the others are still listed. */
  readonly onlyWorktreePath?: string | null;
  readonly signal?: AbortSignal;
  /** Answers kept from earlier passes (the daemon's), validated against the disk before use. */
  readonly looks?: PassLooks | undefined;
}

/** Reading files is cheap; bound it so 500 worktrees do not open 1000 files at once. */
const FILE_CONCURRENCY = 16;

export async function observe(config: Config, provider: Provider, ledger: Ledger, ports: PortLedger, options: ObserveOptions): Promise<Observed> {
  const call = { signal: options.signal };
  const identities = capture(provider.listIdentities(call));
  const vault =
    config.env.secrets.length > 0 && config.secrets.vault !== null ? capture(provider.listVaultSecrets(config.secrets.vault, call)) : null;
  const selector = createWorktreeSelector(config);
  const repos = await Promise.all(config.repos.map((repo) => observeRepo(repo, config, provider, selector, options)));
  return {
    now: options.now,
    repos,
    identities: await identities,
    vault: vault === null ? null : await vault,
    ledger: ledger.state(),
    ports: ports.state(),
    issuesScopedKeys: provider.issuesScopedKeys,
  };
}

async function observeRepo(
  repoPath: string,
  config: Config,
  provider: Provider,
  selector: WorktreeSelector,
  options: ObserveOptions,
): Promise<ObservedRepo> {
  const inventory = await capture(listWorktrees(repoPath));
  if (!inventory.ok) return { repoPath, inventory, claim: null, worktrees: [] };
  const [claim, worktrees] = await Promise.all([
    observeClaim(inventory.value.commonDir, config.stateDir),
    mapConcurrent(inventory.value.worktrees, FILE_CONCURRENCY, (worktree) => observeWorktree(worktree, inventory.value, config, provider, selector, options)),
  ]);
  return { repoPath, inventory, claim, worktrees };
}

async function observeWorktree(
  worktree: Worktree,
  inventory: RepoInventory,
  config: Config,
  provider: Provider,
  selector: WorktreeSelector,
  options: ObserveOptions,
): Promise<ObservedWorktree> {
  const key = worktree.adminId === null ? null : worktreeKey(inventory.commonDir, worktree.adminId);
  // git does not mark a locked worktree prunable when its folder vanishes (an unmounted disk): check.
  const unmanagedReason = selector(worktree) ?? (folderExists(worktree.path) ? null : 'its folder is missing');
  const base = { worktree, key, managed: unmanagedReason === null, unmanagedReason, env: null, scoped: null, ignore: null };
  if (unmanagedReason !== null) return base;
  if (options.onlyWorktreePath != null && !(await samePath(worktree.path, options.onlyWorktreePath))) return base;
  // With the temp files their atomic writes put beside them: a proof now saves a check per write later.
  const ours = provider.issuesScopedKeys ? [config.env.file, SCOPED_CONFIG_PATH] : [config.env.file];
  const relPaths = [...ours, ...ours.map(tempFileExample)];
  const [env, scoped, ignore] = await Promise.all([
    readEnvFile(worktree.path, config.env.file),
    provider.issuesScopedKeys ? readScopedConfig(worktree.path, SCOPED_CONFIG_PATH) : Promise.resolve(null),
    capture(checkIgnored(worktree.path, relPaths, { forPlanning: true, cache: options.looks?.ignore })),
  ]);
  return { ...base, env, scoped, ignore };
}

async function observeClaim(commonDir: string, stateDir: string): Promise<RepoClaim> {
  try {
    const problem = await ownershipProblem(commonDir, stateDir);
    if (problem !== null) return { state: 'other', problem };
    return { state: (await readRepoOwner(commonDir)) === null ? 'unclaimed' : 'ours' };
  } catch (error) {
    return { state: 'other', problem: new Error(`cannot read which state dir manages the repo: ${(error as Error).message}`, { cause: error }) };
  }
}

/** Synchronous: one stat per worktree costs a few microseconds, where a promise costs a thread-pool round trip. */
function folderExists(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;
  } catch {
    return false;
  }
}

export async function capture<T>(promise: Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error : new Error(String(error)) };
  }
}
