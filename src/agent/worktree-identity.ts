/**
 * The identity of the worktree an agent runs in, found from its directory (never from a global
 * "current identity"), so ten agents in ten worktrees each see their own.
 */
import type { Config } from '../config/types.js';
import type { Provider } from '../providers/types.js';
import { worktreeKey } from '../files/ledger-types.js';
import { lookUpLease } from './ledger-lease.js';
import { locateWorktree, type LocatedWorktree } from '../git/locate-worktree.js';

export interface WorktreeIdentity {
  readonly worktree: string;
  readonly repoName: string;
  readonly adminId: string;
  readonly branch: string | null;
  readonly name: string;
  readonly uuid: string;
  readonly email: string | null;
  readonly phone: string | null;
  /** This worktree's lease: its agent is shown only what arrived from `leaseSince` on. */
  readonly leaseId: string;
  readonly leaseSince: string;
}

/** No identity for this worktree: says why and what to run. */
export class NoIdentityError extends Error {
  override readonly name = 'NoIdentityError';
}

/** `located`: what the caller already read of the worktree at `path` (an agent command's context), else read here. */
export async function findWorktreeIdentity(config: Config, provider: Provider, path: string, located: LocatedWorktree | null = null): Promise<WorktreeIdentity> {
  return identityOf(config, provider, await locateLinkedWorktree(path, located));
}

/** A linked worktree located from any folder inside it (the main worktree holds no identity, no port block). */
export async function locateLinkedWorktree(path: string, located: LocatedWorktree | null = null): Promise<LocatedWorktree & { readonly adminId: string }> {
  const found = located ?? (await locateWorktree(path)) ?? (await locateWithGit(path));
  if (found.adminId === null) {
    throw new NoIdentityError(`${found.worktreePath} is the main worktree; identities belong to linked worktrees (git worktree add).`);
  }
  return { ...found, adminId: found.adminId };
}

/** The identity leased to a located worktree, or an error that says why it has none and what to run. */
export async function identityOf(config: Config, provider: Provider, found: LocatedWorktree & { readonly adminId: string }): Promise<WorktreeIdentity> {
  const { worktreePath } = found;
  const key = worktreeKey(found.commonDir, found.adminId);
  const { entry, released } = await lookUpLease(config.stateDir, provider.ledgerScope, key);
  if (entry === undefined || entry.state !== 'ready' || entry.uuid === null || entry.lease === null) {
    const why = released !== undefined ? 'its identity was released by teardown' : 'it has no identity yet';
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
    leaseId: entry.lease.id,
    leaseSince: entry.lease.since,
  };
}

/** The same facts from `git worktree list`, for layouts locateWorktree leaves to git. */
export async function locateWithGit(path: string): Promise<LocatedWorktree> {
  const [{ listWorktrees, resolveWorktreeRootWithGit }, { samePath }] = await Promise.all([import('../git/worktrees.js'), import('../util/same-path.js')]); // only for unusual layouts
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
