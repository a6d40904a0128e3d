/**
 * The identity of the worktree an agent runs in, found from its directory (never from a global
 * "current identity"), so ten agents in ten worktrees each see their own.
 */
import type { Config } from '../config/types.js';
import type { Provider } from '../providers/types.js';
import { Ledger, entryKey, type LedgerEntry } from '../files/ledger.js';
import { listWorktrees, resolveWorktreeRootWithGit } from '../git/worktrees.js';
import { locateWorktree, type LocatedWorktree } from '../git/locate-worktree.js';
import { samePath } from '../util/same-path.js';

export interface WorktreeIdentity {
  readonly worktree: string;
  readonly repoName: string;
  readonly adminId: string;
  readonly branch: string | null;
  readonly name: string;
  readonly uuid: string;
  readonly email: string | null;
  readonly phone: string | null;
  /** When the identity was provisioned (for `--since-setup`). */
  readonly createdAt: string;
}

/** No identity for this worktree: says why and what to run. */
export class NoIdentityError extends Error {
  override readonly name = 'NoIdentityError';
}

export async function findWorktreeIdentity(config: Config, provider: Provider, path: string): Promise<WorktreeIdentity> {
  const found = (await locateWorktree(path)) ?? (await locateWithGit(path));
  const { worktreePath } = found;
  if (found.adminId === null) {
    throw new NoIdentityError(`${worktreePath} is the main worktree; identities belong to linked worktrees (git worktree add).`);
  }
  const ledger = await Ledger.open(config.stateDir, provider.ledgerScope);
  const entry: LedgerEntry | undefined = ledger.get(entryKey(found.commonDir, found.adminId));
  if (entry === undefined || entry.state !== 'active' || entry.uuid === null) {
    const why = entry?.state === 'released' ? 'its identity was released by teardown' : 'it has no identity yet';
    throw new NoIdentityError(`${worktreePath}: ${why}. Run: ravi-orchestrator reconcile --worktree "${worktreePath}"`);
  }
  return {
    worktree: worktreePath,
    repoName: found.repoName,
    adminId: found.adminId,
    branch: found.branch,
    name: entry.name,
    uuid: entry.uuid,
    email: entry.email,
    phone: entry.phone,
    createdAt: entry.createdAt,
  };
}

/** The same facts from `git worktree list`, for layouts locateWorktree leaves to git. */
export async function locateWithGit(path: string): Promise<LocatedWorktree> {
  const { worktreePath } = await resolveWorktreeRootWithGit(path);
  const inventory = await listWorktrees(worktreePath);
  let found = null;
  for (const candidate of inventory.worktrees) if (await samePath(candidate.path, worktreePath)) found = candidate;
  return {
    worktreePath,
    commonDir: inventory.commonDir,
    adminId: found?.adminId ?? null,
    branch: found?.branch ?? null,
    repoName: inventory.repoName,
  };
}
