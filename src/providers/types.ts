/** An agent identity as every provider reports it. */
export interface Identity {
  readonly uuid: string;
  readonly name: string;
  /** The identity's email address (Ravi's `inbox` field). */
  readonly email: string;
  /** E.164 phone number, or null when none was provisioned. */
  readonly phone: string | null;
  readonly createdAt: string | null;
}

/** An identity-scoped credential for `<worktree>/.ravi/config.json`. */
export interface ScopedKey {
  readonly key: string;
  readonly identityUuid: string;
  readonly label: string;
}

export interface CreateIdentityRequest {
  readonly name: string;
  readonly provisionPhone: boolean;
}

export interface CallOptions {
  readonly signal?: AbortSignal;
  /** Worktree path the call is made for; carried into error messages. */
  readonly worktree?: string;
}

/**
 * What the engine needs from an identity provider. Implementations: `ravi` (HTTP API) and `local`.
 * Every method either resolves with the result or throws a ProviderError.
 */
export interface Provider {
  readonly kind: 'local' | 'ravi';
  /** Stable description used to keep one ledger per provider account (e.g. `ravi:https://ravi.id`). */
  readonly ledgerScope: string;
  /** Whether worktrees get `.ravi/config.json` with a scoped key. */
  readonly issuesScopedKeys: boolean;
  listIdentities(options?: CallOptions): Promise<Identity[]>;
  createIdentity(request: CreateIdentityRequest, options?: CallOptions): Promise<Identity>;
  deleteIdentity(uuid: string, options?: CallOptions): Promise<void>;
  /** Mints a key that acts as one identity only. Only called when issuesScopedKeys is true. */
  mintScopedKey(identityUuid: string, label: string, options?: CallOptions): Promise<ScopedKey>;
  /**
   * All secrets of the vault identity (name or uuid), as key -> value.
   * Throws a ProviderError with code 'VAULT_NOT_FOUND' when the vault does not exist.
   */
  listVaultSecrets(vault: string, options?: CallOptions): Promise<Map<string, string>>;
}
