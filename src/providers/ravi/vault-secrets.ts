/**
 * The vault: one Ravi identity, named by `secrets.vault` (its name or uuid), whose secrets every worktree
 * gets. Its uuid comes from the identity listing, so its secrets would wait a whole round trip for it;
 * with a hint (vault-hints.ts, or the vault given as a uuid) both requests go at once, and what the hinted
 * call fetched is used only after the listing confirms the vault still resolves to that uuid.
 */
import type { CallOptions, Identity, Provider } from '../types.js';
import { ProviderError } from '../../util/errors.js';
import type { QueryValue } from './http-client.js';
import type { VaultHints } from './vault-hints.js';

/** What the vault needs from the provider. */
export interface VaultSource {
  listIdentities(options?: CallOptions): Promise<Identity[]>;
  listAll(path: string, request: { identity?: string; query?: Readonly<Record<string, QueryValue>> } & CallOptions): Promise<unknown[]>;
  badResponse(what: string, method: string, path: string): ProviderError;
  readonly hints: VaultHints;
}

const SECRETS_PATH = '/api/secrets/';
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createVaultMethods(source: VaultSource): Pick<Provider, 'listVaultSecrets'> {
  async function readSecrets(uuid: string, callOptions: CallOptions): Promise<Map<string, string>> {
    const secrets = new Map<string, string>();
    for (const entry of await source.listAll(SECRETS_PATH, { ...callOptions, identity: uuid })) {
      const fields = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
      if (typeof fields.key !== 'string' || typeof fields.value !== 'string') {
        throw source.badResponse('a secret has no string key or value', 'GET', SECRETS_PATH);
      }
      secrets.set(fields.key, fields.value);
    }
    return secrets;
  }

  return {
    async listVaultSecrets(vault: string, callOptions: CallOptions = {}) {
      const listing = source.listIdentities(callOptions);
      const hint = source.hints.get(vault) ?? (UUID_PATTERN.test(vault) ? vault : null);
      // Without a hint nothing of ours leaves before the listing answers: say so now (CallOptions.onSent).
      if (hint === null) callOptions.onSent?.();
      const early = hint === null ? null : settle(readSecrets(hint, callOptions));
      const uuid = resolveVault(vault, await listing);
      // Saved alongside the fallback read; a hint that held needs no write.
      const saved = uuid !== hint && uuid !== vault ? source.hints.remember(vault, uuid) : Promise.resolve();
      if (early !== null && hint === uuid) {
        const outcome = await early;
        if (outcome.ok) return outcome.value;
      }
      const [secrets] = await Promise.all([readSecrets(uuid, callOptions), saved]);
      return secrets;
    },
  };
}

function resolveVault(vault: string, identities: readonly Identity[]): string {
  const byUuid = identities.find((identity) => identity.uuid === vault);
  if (byUuid) return byUuid.uuid;
  const named = identities.filter((identity) => identity.name === vault);
  if (named.length === 1 && named[0]) return named[0].uuid;
  if (named.length > 1) {
    const uuids = named.map((identity) => identity.uuid).join(', ');
    throw new ProviderError(
      `${named.length} Ravi identities are named "${vault}"; set secrets.vault to one uuid (${uuids})`,
      { code: 'VAULT_NOT_FOUND' },
    );
  }
  throw new ProviderError(`No Ravi identity has the name or uuid "${vault}" (secrets.vault)`, {
    code: 'VAULT_NOT_FOUND',
  });
}

/** A promise that never rejects: a speculative call's failure is an outcome, not an unhandled rejection. */
function settle<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false }> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    () => ({ ok: false as const }),
  );
}
