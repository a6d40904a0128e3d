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

/**
 * What a create answers: the identity and, when the provider's answer carries one (Ravi's `api_key`, a
 * `ravi_id_...` key of the new identity), a key that acts as that identity only, so its first worktree needs
 * no mint call. Held in memory until written to that worktree's scoped config; never stored elsewhere or logged.
 */
export interface CreatedIdentity extends Identity {
  readonly scopedKey?: ScopedKey;
}

export interface CreateIdentityRequest {
  readonly name: string;
  readonly provisionPhone: boolean;
}

export interface CallOptions {
  readonly signal?: AbortSignal;
  /** Worktree path the call is made for; carried into error messages. */
  readonly worktree?: string;
  /**
   * Called when the call has nothing more to send until an answer comes: its first request has been written
   * to the connection (again on a retry), or it waits for another call's answer. For a caller that puts CPU
   * work inside the round trip instead of before the request leaves (prefetch-listings.ts). Not called when
   * the call fails first; a provider with nothing to send may never call it.
   */
  readonly onSent?: () => void;
}

/** An email as Ravi's API names its fields. */
export interface EmailMessage {
  /** Always a string, even where the API sends a number. */
  readonly id: string;
  readonly from_email: string;
  readonly to_email: string;
  readonly subject: string;
  readonly text_content: string;
  readonly html_content: string;
  readonly is_read: boolean;
  /** ISO 8601 time the message was received. */
  readonly created_dt: string;
}

/** An SMS as Ravi's API names its fields. */
export interface SmsMessage {
  /** Always a string, even where the API sends a number. */
  readonly id: string;
  readonly from_number: string;
  readonly to_number: string;
  readonly body: string;
  readonly is_read: boolean;
  /** ISO 8601 time the message was received. */
  readonly created_dt: string;
}

export interface ListMessagesOptions extends CallOptions {
  /** Only messages the provider has not marked read. @default false */
  readonly unreadOnly?: boolean;
  /**
   * Only messages received at or after this ISO time (a lease's start). Ravi filters with
   * `created_after`; callers still check each message's time themselves.
   */
  readonly since?: string | null;
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
  createIdentity(request: CreateIdentityRequest, options?: CallOptions): Promise<CreatedIdentity>;
  /**
   * Deletes an identity. Optional for the engine: Ravi's identities are permanent (RAVI-CONTRACT.md), so a
   * refusal is a ProviderError with the HTTP status (405, 404, 403), which the pool remembers.
   */
  deleteIdentity(uuid: string, options?: CallOptions): Promise<void>;
  /** Mints a key that acts as one identity only. Only called when issuesScopedKeys is true. */
  mintScopedKey(identityUuid: string, label: string, options?: CallOptions): Promise<ScopedKey>;
  /**
   * All secrets of the vault identity (name or uuid), as key -> value.
   * Throws a ProviderError with code 'VAULT_NOT_FOUND' when the vault does not exist.
   */
  listVaultSecrets(vault: string, options?: CallOptions): Promise<Map<string, string>>;
  /** The identity's emails, newest first. Throws NOT_FOUND for an unknown identity. */
  listEmails(identityUuid: string, options?: ListMessagesOptions): Promise<EmailMessage[]>;
  /** The identity's SMS messages, newest first. Throws NOT_FOUND for an unknown identity. */
  listSms(identityUuid: string, options?: ListMessagesOptions): Promise<SmsMessage[]>;
  // No markRead: Ravi has no call that marks a message read (RAVI-CONTRACT.md, "Verified again"); what an
  // agent was handed is recorded on our side (src/agent/handed-messages.ts).
}
