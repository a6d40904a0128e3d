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
import { afterPendingIo } from '../util/pending-io.js';
import { samePath } from '../util/same-path.js';
import { VaultNotYetRead, type Observed, type ObservedRepo, type ObservedWorktree, type Outcome, type RepoClaim } from './observed.js';
import { problemWith, readRepoOwner } from './repo-claim.js';
import { readEnvFile, readScopedConfig } from './observe-files.js';
import { createWorktreeSelector, type WorktreeSelector } from './worktree-filter.js';
import { SCOPED_CONFIG_PATH } from './plan-worktree.js';
import { tempFileExample } from '../files/temp-files.js';
import type { PassLooks } from './pass-memory.js';
import { singlePass, type PassCache } from '../files/recorded-reads.js';
import { SharedLooks } from '../files/shared-looks.js';
import type { ListingOptions } from '../git/worktree-list-fs.js';
import type { IgnoreAnalysis } from '../git/ignore-fast-path.js';

export interface ObserveOptions {
  readonly now: number;
  /** Only this worktree's files are read (`--worktree`, canonical path); the others are still listed. */
  readonly onlyWorktreePath?: string | null;
  readonly signal?: AbortSignal;
  /** Answers kept from earlier passes (the daemon's), validated against the disk before use. */
  readonly looks?: PassLooks | undefined;
  /**
   * Do not wait for the vault: when it has not answered by the time the rest is read, Observed.vault is a
   * VaultNotYetRead and its answer comes in ObservedUntilVault.vaultLater (late-vault.ts).
   */
  readonly vaultLater?: boolean;
  /**
   * Called once every repo's worktrees are read, before the provider's answers are awaited: work started here
   * runs while the pass would otherwise wait for the API (the engine loads the apply steps when a worktree's env
   * file lacks our block). It must not throw.
   */
  readonly onReposRead?: (repos: readonly ObservedRepo[]) => void;
}

export interface ObservedUntilVault {
  readonly observed: Observed;
  /** The vault's answer, when Observed.vault is a VaultNotYetRead; otherwise null. */
  readonly vaultLater: Promise<Outcome<ReadonlyMap<string, string>>> | null;
}

/** Reading files is cheap; bound it so 500 worktrees do not open 1000 files at once. */
const FILE_CONCURRENCY = 16;

export async function observe(config: Config, provider: Provider, ledger: Ledger, ports: PortLedger, options: ObserveOptions): Promise<ObservedUntilVault> {
  const call = { signal: options.signal };
  const identities = capture(provider.listIdentities(call));
  const vault =
    config.env.secrets.length > 0 && config.secrets.vault !== null ? capture(provider.listVaultSecrets(config.secrets.vault, call)) : null;
  let vaultRead: Outcome<ReadonlyMap<string, string>> | null = null;
  void vault?.then((outcome) => (vaultRead = outcome));
  const selector = createWorktreeSelector(config);
  // A one-shot pass keeps no answers, but its listing and its worktrees still share their looks at the repo's files.
  const shared = options.looks?.shared ?? new SharedLooks();
  const listing = options.looks?.listing ?? { looks: shared };
  const passOptions = { ...options, listing, shared, ignoreCache: options.looks?.ignore ?? singlePass<IgnoreAnalysis>({ looks: shared }) };
  const repos = await Promise.all(config.repos.map((repo) => observeRepo(repo, config, provider, selector, passOptions)));
  options.onReposRead?.(repos);
  const listed = await identities;
  const mayBeLate = vault !== null && options.vaultLater === true;
  // An answer that landed while the worktrees were read (sync calls hold the loop) is taken in first: a pass
  // otherwise planned without the vault, then again with it, which at N = 500 cost a no-op 12 ms.
  if (mayBeLate && vaultRead === null) await afterPendingIo();
  const late = mayBeLate && vaultRead === null;
  const observed: Observed = {
    now: options.now,
    repos,
    identities: listed,
    vault: vault === null ? null : late ? { ok: false, error: new VaultNotYetRead() } : await vault,
    ledger: ledger.state(),
    ports: ports.state(),
    issuesScopedKeys: provider.issuesScopedKeys,
  };
  return { observed, vaultLater: late ? vault : null };
}

async function observeRepo(
  repoPath: string,
  config: Config,
  provider: Provider,
  selector: WorktreeSelector,
  options: PassOptions,
): Promise<ObservedRepo> {
  // While git lists the worktrees (its own process, tens of ms at N = 500), read the files of the worktrees the
  // last pass read: nearly always the same ones. A worktree gone since is dropped, a new or moved one read after.
  // Reading a file a few ms before the listing is no less the truth than after it: a pass never saw both at once.
  const before = options.onlyWorktreePath == null ? (options.looks?.readFoldersBefore(repoPath) ?? []) : [];
  const [inventory, early] = await Promise.all([
    capture(listWorktrees(repoPath, options.listing)),
    mapConcurrent(before, FILE_CONCURRENCY, (folder) => readWorktreeFiles(folder, config, provider, options)),
  ]);
  if (!inventory.ok) return { repoPath, inventory, claim: null, worktrees: [] };
  const earlyFiles = new Map(before.map((folder, index) => [folder, early[index] as WorktreeFiles]));
  const [claim, worktrees] = await Promise.all([
    observeClaim(inventory.value.commonDir, config.stateDir),
    mapConcurrent(inventory.value.worktrees, FILE_CONCURRENCY, (worktree) => observeWorktree(worktree, inventory.value, config, provider, selector, options, earlyFiles)),
  ]);
  options.looks?.rememberReadFolders(repoPath, worktrees.filter((w) => w.env !== null).map((w) => w.worktree.path));
  return { repoPath, inventory, claim, worktrees };
}

interface PassOptions extends ObserveOptions {
  readonly listing: ListingOptions;
  /** The pass's looks: a worktree folder's look is shared with its ignore check's (repo-layout.ts). */
  readonly shared: SharedLooks;
  readonly ignoreCache: PassCache<IgnoreAnalysis>;
}

export type WorktreeFiles = Pick<ObservedWorktree, 'env' | 'scoped' | 'ignore'>;

/** The files we manage in one worktree folder, and whether git ignores them. */
export async function readWorktreeFiles(folder: string, config: Config, provider: Provider, options: Pick<PassOptions, 'ignoreCache'>): Promise<WorktreeFiles> {
  // With the temp files their atomic writes put beside them: a proof now saves a check per write later.
  const ours = provider.issuesScopedKeys ? [config.env.file, SCOPED_CONFIG_PATH] : [config.env.file];
  const relPaths = [...ours, ...ours.map(tempFileExample)];
  const [env, scoped, ignore] = await Promise.all([
    readEnvFile(folder, config.env.file),
    provider.issuesScopedKeys ? readScopedConfig(folder, SCOPED_CONFIG_PATH) : Promise.resolve(null),
    capture(checkIgnored(folder, relPaths, { forPlanning: true, cache: options.ignoreCache })),
  ]);
  return { env, scoped, ignore };
}

/** A listed worktree as observed before its files are read: its key, and whether it is managed (and why not). */
export function unreadWorktree(worktree: Worktree, commonDir: string, selector: WorktreeSelector, looks?: SharedLooks): ObservedWorktree {
  const key = worktree.adminId === null ? null : worktreeKey(commonDir, worktree.adminId);
  // git does not mark a locked worktree prunable when its folder vanishes (an unmounted disk): check.
  const unmanagedReason = selector(worktree) ?? (folderExists(worktree.path, looks) ? null : 'its folder is missing');
  return { worktree, key, managed: unmanagedReason === null, unmanagedReason, env: null, scoped: null, ignore: null };
}

async function observeWorktree(
  worktree: Worktree,
  inventory: RepoInventory,
  config: Config,
  provider: Provider,
  selector: WorktreeSelector,
  options: PassOptions,
  earlyFiles: ReadonlyMap<string, WorktreeFiles>,
): Promise<ObservedWorktree> {
  const base = unreadWorktree(worktree, inventory.commonDir, selector, options.shared);
  if (!base.managed) return base;
  if (options.onlyWorktreePath != null && !(await samePath(worktree.path, options.onlyWorktreePath))) return base;
  return { ...base, ...(earlyFiles.get(worktree.path) ?? (await readWorktreeFiles(worktree.path, config, provider, options))) };
}

export async function observeClaim(commonDir: string, stateDir: string): Promise<RepoClaim> {
  try {
    const owner = readRepoOwner(commonDir); // once: it says both whether the repo is claimed and by whom
    const problem = await problemWith(commonDir, stateDir, owner);
    if (problem !== null) return { state: 'other', problem };
    return { state: owner === null ? 'unclaimed' : 'ours' };
  } catch (error) {
    return { state: 'other', problem: new Error(`cannot read which state dir manages the repo: ${(error as Error).message}`, { cause: error }) };
  }
}

/**
 * Synchronous: one stat per worktree costs a few microseconds, where a promise costs a thread-pool round trip.
 * Through the pass's looks when it has them: the ignore check looks at the same folder (its owner), one syscall.
 */
function folderExists(path: string, looks?: SharedLooks): boolean {
  try {
    const stats = looks === undefined ? statSync(path, { throwIfNoEntry: false }) : looks.followed(path);
    return stats?.isDirectory() === true;
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
