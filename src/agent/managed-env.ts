/** The managed variables and secrets of one worktree, as `env` shows them and `exec` passes them on. */
import type { Config } from '../config/types.js';
import type { Provider } from '../providers/types.js';
import { desiredEnv, needsIdentities } from '../reconcile/desired-env.js';
import { identityOf, locateLinkedWorktree, NoIdentityError, type WorktreeIdentity } from './worktree-identity.js';

export interface ManagedVariable {
  readonly key: string;
  readonly value: string;
  readonly secret: boolean;
}

export interface ManagedEnv {
  readonly variables: readonly ManagedVariable[];
  /** Configured secrets the vault does not hold (names only). */
  readonly missingSecrets: readonly string[];
  /** Null when the config asks for no identity (a ports-only config on the local provider). */
  readonly identity: WorktreeIdentity | null;
}

/**
 * What reconcile writes into this worktree's env file, computed the same way: its identity (when the config
 * uses one), its port block (when ports are configured) and the vault's secrets.
 */
export async function managedEnv(config: Config, provider: Provider, path: string): Promise<ManagedEnv> {
  const found = await locateLinkedWorktree(path);
  const [identity, ports] = await Promise.all([
    needsIdentities(config) ? identityOf(config, provider, found) : Promise.resolve(null),
    config.ports === null ? Promise.resolve(null) : portBlockOf(config.stateDir, found.commonDir, found.adminId, found.worktreePath),
  ]);
  const needsVault = config.env.secrets.length > 0 && config.secrets.vault !== null;
  const vault = needsVault ? await provider.listVaultSecrets(config.secrets.vault as string, { worktree: found.worktreePath }) : new Map<string, string>();
  // Secrets are included whether or not they are written to disk: exec mode exists for writeSecrets: false.
  const desired = desiredEnv({ ...config.env, writeSecrets: true }, identity, { repoName: found.repoName, adminId: found.adminId, branch: found.branch, ports }, vault);
  const secretKeys = new Set(config.env.secrets);
  return {
    variables: desired.vars.map(([key, value]) => ({ key, value, secret: secretKeys.has(key) })),
    missingSecrets: desired.missingSecrets,
    identity,
  };
}

/** The worktree's block from the port ledger; none yet means reconcile has not reached it. */
async function portBlockOf(stateDir: string, commonDir: string, adminId: string, worktreePath: string): Promise<{ first: number; size: number }> {
  const [{ PortLedger }, { worktreeKey }] = await Promise.all([import('../ports/port-ledger.js'), import('../files/ledger-types.js')]);
  const block = (await PortLedger.open(stateDir)).block(worktreeKey(commonDir, adminId));
  if (block === undefined) throw new NoIdentityError(`${worktreePath}: it has no port block yet. Run: ravi-orchestrator reconcile --worktree "${worktreePath}"`);
  return block;
}
