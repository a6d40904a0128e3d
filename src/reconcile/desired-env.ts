/** The managed variables a worktree's env file should hold. Pure. */
import type { Config } from '../config/types.js';
import { readManagedBlock, renderEnvFile, type EnvRender } from '../files/env-block.js';
import { fillTemplate, shortBranch } from './templates.js';
import { IDENTITY_PLACEHOLDERS_IN_ENV } from '../config/names.js';

/**
 * Whether worktrees need identities at all: on Ravi always (each gets a scoped key for the `ravi` CLI);
 * on the local provider only when the env file uses {email}, {phone} or {identity}. A config that wants
 * only ports creates no identity.
 */
export function needsIdentities(config: { readonly provider: { readonly kind: string }; readonly env: Pick<Config['env'], 'vars'> }): boolean {
  if (config.provider.kind !== 'local') return true;
  return Object.values(config.env.vars).some((template) => IDENTITY_PLACEHOLDERS_IN_ENV.some((name) => template.includes(`{${name}}`)));
}

export interface IdentityFacts {
  readonly name: string;
  readonly email: string | null;
  readonly phone: string | null;
}

export interface WorktreeFacts {
  readonly repoName: string;
  readonly adminId: string;
  readonly branch: string | null;
  /** The worktree's port block (`{port}`, `{port:N}`), when ports are configured and it has one. */
  readonly ports?: { readonly first: number; readonly size: number } | null;
}

export interface DesiredEnv {
  readonly vars: ReadonlyArray<readonly [string, string]>;
  /** Configured secret keys the vault does not have (names only). */
  readonly missingSecrets: readonly string[];
}

/** `identity` is null when the config needs none (a user who wants only ports). */
export function desiredEnv(
  env: Config['env'],
  identity: IdentityFacts | null,
  worktree: WorktreeFacts,
  vault: ReadonlyMap<string, string>,
): DesiredEnv {
  const values: Record<string, string> = {
    ...portValues(worktree.ports ?? null),
    email: identity?.email ?? '',
    phone: identity?.phone ?? '',
    identity: identity?.name ?? '',
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

/** `{port}` and `{port:0}` are the block's first port, `{port:N}` its N-th. */
function portValues(ports: WorktreeFacts['ports']): Record<string, string> {
  if (ports == null) return {};
  const values: Record<string, string> = { port: String(ports.first) };
  for (let n = 0; n < ports.size; n++) values[`port:${n}`] = String(ports.first + n);
  return values;
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
  identity: IdentityFacts | null,
  worktree: WorktreeFacts,
  vault: ReadonlyMap<string, string> | null,
  current: Uint8Array | null,
): RenderedWorktreeEnv {
  const secrets = vault ?? ((current === null ? null : readManagedBlock(current)) ?? new Map<string, string>());
  const desired = desiredEnv(env, identity, worktree, secrets);
  return { render: renderEnvFile(current, desired.vars), missingSecrets: vault === null ? [] : desired.missingSecrets };
}
