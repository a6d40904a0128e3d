/** What `observe()` reads in one pass: the whole truth, re-read every time (level-triggered). */
import type { IgnoreStatus, RepoInventory, Worktree } from '../git/types.js';
import type { Identity } from '../providers/types.js';
import type { LedgerState } from '../files/ledger.js';
import type { PortState } from '../ports/port-ledger.js';

export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: Error };

/** Observed.vault of a pass that planned before the vault answered (late-vault.ts). */
export class VaultNotYetRead extends Error {
  constructor() {
    super('the vault has not answered yet');
    this.name = 'VaultNotYetRead';
  }
}

export interface ObservedEnvFile {
  /** Absolute path. */
  readonly path: string;
  /** The file's bytes (kept as bytes: a user's invalid UTF-8 must survive a rewrite); null when it does not exist. */
  readonly content: Buffer | null;
  /** Why it cannot be used (a directory, unreadable); null when fine. */
  readonly error: string | null;
}

/** What `<worktree>/.ravi/config.json` holds, without keeping any key material. */
export interface ObservedScopedConfig {
  readonly path: string;
  readonly exists: boolean;
  readonly identityUuid: string | null;
  readonly hasIdentityKey: boolean;
  readonly hasManagementKey: boolean;
  /** The file is not valid JSON or not an object. */
  readonly malformed: boolean;
}

export interface ObservedWorktree {
  readonly worktree: Worktree;
  /** `worktreeKey(commonDir, adminId)`, null for the main worktree. */
  readonly key: string | null;
  /** Whether this worktree should own an identity now. */
  readonly managed: boolean;
  /** Why not, when not managed. */
  readonly unmanagedReason: string | null;
  /** Read only for managed worktrees. */
  readonly env: ObservedEnvFile | null;
  readonly scoped: ObservedScopedConfig | null;
  readonly ignore: Outcome<IgnoreStatus> | null;
  /** Its env file or scoped config vanished since the daemon's last pass: its files are left alone for now (vanished-files.ts). */
  readonly settling?: boolean;
}

/** Whether this state dir may manage the repo (repo-claim.ts). */
export type RepoClaim =
  | { readonly state: 'ours' | 'unclaimed' }
  /** Managed by another state dir (or its claim is unreadable): nothing of the repo is touched. */
  | { readonly state: 'other'; readonly problem: Error };

export interface ObservedRepo {
  /** The repo path as configured. */
  readonly repoPath: string;
  readonly inventory: Outcome<RepoInventory>;
  /** Null when the inventory failed. */
  readonly claim: RepoClaim | null;
  readonly worktrees: readonly ObservedWorktree[];
  /**
   * Only the worktrees listed here were looked at (a focused pass, observe-focus.ts): the repo's other leases, port
   * blocks and teardown records are left as they are, never taken for those of gone worktrees.
   */
  readonly partial?: boolean;
}

export interface Observed {
  /** Milliseconds since the epoch, taken once per pass. */
  readonly now: number;
  readonly repos: readonly ObservedRepo[];
  readonly identities: Outcome<readonly Identity[]>;
  /**
   * Null when no secrets are configured (the vault is not read). A vault still on its way when the rest was read
   * (`vaultLater`, late-vault.ts) is a failed read whose error is a VaultNotYetRead: secrets keep the values the
   * env files hold, and no problem is reported for it.
   */
  readonly vault: Outcome<ReadonlyMap<string, string>> | null;
  readonly ledger: LedgerState;
  /** The state dir's port blocks (empty when ports were never configured). */
  readonly ports: PortState;
  readonly issuesScopedKeys: boolean;
}
