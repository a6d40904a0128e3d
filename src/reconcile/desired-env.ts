/** The managed variables a worktree's env file should hold. Pure. */
import type { Config } from '../config/types.js';
import { readManagedBlock, renderEnvFile, type EnvRender } from '../files/env-block.js';
import { fillTemplate, shortBranch } from './templates.js';

export interface IdentityFacts {
  readonly name: string;
  readonly email: string | null;
  readonly phone: string | null;
}

export interface WorktreeFacts {
  readonly repoName: string;
  readonly adminId: string;
  readonly branch: string | null;
}

export interface DesiredEnv {
  readonly vars: ReadonlyArray<readonly [string, string]>;
  /** Configured secret keys the vault does not have (names only). */
  readonly missingSecrets: readonly string[];
}

export function desiredEnv(
  env: Config['env'],
  identity: IdentityFacts,
  worktree: WorktreeFacts,
  vault: ReadonlyMap<string, string>,
): DesiredEnv {
  const values = {
    email: identity.email ?? '',
    phone: identity.phone ?? '',
    identity: identity.name,
    worktree: worktree.adminId,
    branch: shortBranch(worktree.branch),
    repo: worktree.repoName,
  };
  const vars: Array<readonly [string, string]> = Object.entries(env.vars).map(
    ([key, template]) => [key, fillTemplate(template, values)] as const,
  );
  const missingSecrets: string[] = [];
  for (const key of env.writeSecrets ? env.secrets : []) {
    const value = vault.get(key);
    if (value === undefined) missingSecrets.push(key);
    else vars.push([key, value]);
  }
  return { vars, missingSecrets };
}

export interface RenderedWorktreeEnv {
  readonly render: EnvRender;
  /** Secret keys that the vault lacks (only reported when the vault was read). */
  readonly missingSecrets: readonly string[];
}

/**
 * The env file's new content. With the vault unreadable (`vault` null), secrets keep the values
 * already in the block, so a flaky vault never strips secrets out of a working worktree.
 * Throws UnsafeEnvValueError for a value no quoting can carry.
 */
export function renderWorktreeEnv(
  env: Config['env'],
  identity: IdentityFacts,
  worktree: WorktreeFacts,
  vault: ReadonlyMap<string, string> | null,
  current: Uint8Array | null,
): RenderedWorktreeEnv {
  const secrets = vault ?? ((current === null ? null : readManagedBlock(current)) ?? new Map<string, string>());
  const desired = desiredEnv(env, identity, worktree, secrets);
  return { render: renderEnvFile(current, desired.vars), missingSecrets: vault === null ? [] : desired.missingSecrets };
}
