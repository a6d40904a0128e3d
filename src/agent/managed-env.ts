/** The managed variables and secrets of one worktree, as `env` shows them and `exec` passes them on. */
import type { Config } from '../config/types.js';
import type { Provider } from '../providers/types.js';
import { desiredEnv } from '../reconcile/desired-env.js';
import type { WorktreeIdentity } from './worktree-identity.js';

export interface ManagedVariable {
  readonly key: string;
  readonly value: string;
  readonly secret: boolean;
}

export interface ManagedEnv {
  readonly variables: readonly ManagedVariable[];
  /** Configured secrets the vault does not hold (names only). */
  readonly missingSecrets: readonly string[];
}

export async function managedEnv(config: Config, provider: Provider, me: WorktreeIdentity): Promise<ManagedEnv> {
  const needsVault = config.env.secrets.length > 0 && config.secrets.vault !== null;
  const vault = needsVault ? await provider.listVaultSecrets(config.secrets.vault as string, { worktree: me.worktree }) : new Map<string, string>();
  // Secrets are included whether or not they are written to disk: exec mode exists for writeSecrets: false.
  const desired = desiredEnv({ ...config.env, writeSecrets: true }, me, { repoName: me.repoName, adminId: me.adminId, branch: me.branch }, vault);
  const secretKeys = new Set(config.env.secrets);
  return {
    variables: desired.vars.map(([key, value]) => ({ key, value, secret: secretKeys.has(key) })),
    missingSecrets: desired.missingSecrets,
  };
}
