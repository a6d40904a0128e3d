/**
 * The `ravi` provider: identities, scoped keys, vault secrets and (ravi-messages.ts) each identity's
 * messages over Ravi's HTTP API with the account's management key. Response shapes are validated: a
 * malformed entry is an error, never silently dropped (a missing identity could make the engine create
 * a duplicate).
 */
import type { CallOptions, CreatedIdentity, CreateIdentityRequest, Identity, Provider, ScopedKey } from '../types.js';
import { ConfigError, ProviderError } from '../../util/errors.js';
import { readRaviCredentials } from './credentials.js';
import { RaviHttpClient, type QueryValue } from './http-client.js';
import { createMessageMethods } from './ravi-messages.js';
import type { RetryPolicy } from './retry.js';
import { createVaultHints } from './vault-hints.js';
import { createVaultMethods } from './vault-secrets.js';

export interface RaviProviderOptions {
  readonly apiUrl: string;
  readonly credentialsFile: string;
  /** Provision a phone for every new identity, whatever the request says. */
  readonly provisionPhone: boolean;
  readonly retry?: Partial<RetryPolicy>;
  readonly fetchTimeoutMs?: number;
  /** Where the vault's last known uuid is kept between processes (vault-hints.ts); memory only without. */
  readonly stateDir?: string;
}

const PAGE_SIZE = 200; // The API's maximum.
const MAX_PAGES = 1_000;

export function createRaviProvider(options: RaviProviderOptions): Provider {
  const origin = parseOrigin(options.apiUrl);
  let client: Promise<RaviHttpClient> | null = null;

  // Lazy: `plan` without credentials only fails once it needs the API. A failed read or a 401 is not
  // cached, so `ravi auth login` while the daemon runs takes effect on the next call.
  function api(): Promise<RaviHttpClient> {
    client ??= newClient();
    return client;
  }

  /** Built in the caller's turn (credentials.ts says why the read is synchronous); a failure is a rejection. */
  function newClient(): Promise<RaviHttpClient> {
    try {
      const { managementKey } = readRaviCredentials(options.credentialsFile);
      return Promise.resolve(new RaviHttpClient({ baseUrl: options.apiUrl, managementKey, retry: options.retry, fetchTimeoutMs: options.fetchTimeoutMs }));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  async function call(method: string, path: string, request: Parameters<RaviHttpClient['request']>[2] = {}) {
    const current = api();
    try {
      return await (await current).request(method, path, request);
    } catch (error) {
      const stale = error instanceof ProviderError && (error.code === 'NOT_CONFIGURED' || error.code === 'UNAUTHORIZED');
      if (stale && client === current) client = null;
      throw error;
    }
  }

  /** `complete`: a short listing is an error (identities: a missing page must never read as deleted identities). */
  type ListRequest = { identity?: string; query?: Readonly<Record<string, QueryValue>>; complete?: boolean } & CallOptions;
  async function listAll(path: string, request: ListRequest): Promise<unknown[]> {
    const items: unknown[] = [];
    const seen = new Set<string>();
    let next: string | null = path;
    let query: Record<string, QueryValue> | undefined = { ...request.query, limit: PAGE_SIZE };
    let expected: number | null = null;
    for (let page = 0; next !== null; page++) {
      if (page >= MAX_PAGES || seen.has(next)) throw badResponse('the pages loop or do not end', 'GET', path);
      seen.add(next);
      const body = await call('GET', next, { ...request, query });
      if (Array.isArray(body)) return items.concat(body); // The CLI's shape: one bare array.
      const results = (body as { results?: unknown } | null)?.results;
      if (!Array.isArray(results)) throw badResponse('expected a list or a {results} page', 'GET', path);
      items.push(...results);
      const count = (body as { count?: unknown }).count;
      if (page === 0 && typeof count === 'number') expected = count;
      next = nextPage((body as { next?: unknown }).next, origin, path);
      query = undefined; // `next` carries its own limit, offset and filters (`identity` is set again).
    }
    // A page that went missing (or came back short) must not look like identities that were deleted.
    if (request.complete === true && expected !== null) {
      const distinct = new Set(items.map(itemKey)).size;
      if (distinct < expected) throw badResponse(`the listing is incomplete: ${distinct} of the ${expected} items it announced`, 'GET', path);
    }
    return items;
  }

  function itemKey(item: unknown): string {
    const record = item as { uuid?: unknown; id?: unknown } | null;
    return String(record?.uuid ?? record?.id ?? JSON.stringify(item));
  }

  /**
   * Concurrent listings share one request: a pass lists identities and, to find the vault by name,
   * listVaultSecrets lists them again at the same moment; one round trip serves both. Only calls with
   * the same abort signal share, so one caller's abort never fails another's listing.
   */
  let inflight: { signal: AbortSignal | undefined; listing: Promise<Identity[]> } | null = null;
  function listIdentities(callOptions: CallOptions = {}): Promise<Identity[]> {
    if (inflight !== null && inflight.signal === callOptions.signal) return inflight.listing;
    const current = { signal: callOptions.signal, listing: fetchIdentities(callOptions) };
    inflight = current;
    const clear = () => {
      if (inflight === current) inflight = null;
    };
    current.listing.then(clear, clear);
    return current.listing;
  }

  async function fetchIdentities(callOptions: CallOptions): Promise<Identity[]> {
    const raw = await listAll('/api/identities/', { ...callOptions, complete: true });
    const byUuid = new Map<string, Identity>();
    // Offset pages can repeat an entry when the list shifts between pages; the uuid is the key.
    for (const entry of raw) {
      const identity = toIdentity(entry, 'GET', '/api/identities/');
      if (!byUuid.has(identity.uuid)) byUuid.set(identity.uuid, identity);
    }
    return [...byUuid.values()];
  }

  return {
    kind: 'ravi',
    ledgerScope: `ravi:${origin}`,
    issuesScopedKeys: true,
    listIdentities,

    async createIdentity(request: CreateIdentityRequest, callOptions: CallOptions = {}): Promise<CreatedIdentity> {
      const provisionPhone = request.provisionPhone || options.provisionPhone;
      try {
        const body = await call('POST', '/api/identities/', {
          ...callOptions,
          body: { name: request.name, provision_phone: provisionPhone },
        });
        const identity = toIdentity(body, 'POST', '/api/identities/');
        const scopedKey = issuedKey(body, identity.uuid);
        return scopedKey === null ? identity : { ...identity, scopedKey };
      } catch (error) {
        if (!(error instanceof ProviderError) || error.code !== 'PAYMENT_REQUIRED' || !provisionPhone) throw error;
        throw withHint(error, 'Phone numbers need a paid Ravi plan: upgrade, or set provider.provisionPhone to false');
      }
    },

    // Ravi documents no identity delete (RAVI-CONTRACT.md, "Verified again"): a 405, 404 or 403 here is
    // expected and reaches the caller with its status, which remembers that this provider cannot delete.
    async deleteIdentity(uuid: string, callOptions: CallOptions = {}) {
      await call('DELETE', `/api/identities/${encodeURIComponent(uuid)}/`, callOptions);
    },

    async mintScopedKey(identityUuid: string, label: string, callOptions: CallOptions = {}): Promise<ScopedKey> {
      const path = '/api/auth/keys/identity/';
      const body = await call('POST', path, { ...callOptions, body: { identity_uuid: identityUuid, label } });
      const fields = asObject(body, 'POST', path);
      if (typeof fields.key !== 'string' || fields.key === '') throw badResponse('the response has no key', 'POST', path);
      if (fields.identity_uuid !== undefined && fields.identity_uuid !== identityUuid) {
        throw badResponse(`the key was issued for another identity than ${identityUuid}`, 'POST', path);
      }
      return { key: fields.key, identityUuid, label: typeof fields.label === 'string' ? fields.label : label };
    },

    ...createVaultMethods({ listIdentities, listAll, badResponse, hints: createVaultHints(origin, options.stateDir) }),
    ...createMessageMethods({ call, listAll, badResponse }),
  };
}

function toIdentity(entry: unknown, method: string, path: string): Identity {
  const fields = asObject(entry, method, path);
  if (typeof fields.uuid !== 'string' || fields.uuid === '' || typeof fields.name !== 'string') {
    throw badResponse('an identity has no uuid or name', method, path);
  }
  const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);
  return {
    uuid: fields.uuid,
    name: fields.name,
    email: text(fields.inbox) ?? '',
    phone: text(fields.phone),
    createdAt: text(fields.created_dt),
  };
}

/**
 * The identity key a create's answer may carry (RAVI-CONTRACT.md: `POST /api/identities/` "may return
 * `api_key` (a `ravi_id_...` key for the new identity)"). Only an identity key is taken: anything else (absent,
 * empty, a management key) means the worktree's key is minted as before.
 */
function issuedKey(body: unknown, identityUuid: string): ScopedKey | null {
  const key = (body as { api_key?: unknown } | null)?.api_key;
  if (typeof key !== 'string' || !IDENTITY_KEY.test(key)) return null;
  return { key, identityUuid, label: 'issued with the identity' };
}
const IDENTITY_KEY = /^ravi_id_[A-Za-z0-9_-]+$/;

/** The next page's URL, or null. Only followed on the API's own origin: it receives our key. */
function nextPage(next: unknown, origin: string, path: string): string | null {
  if (next === null || next === undefined || next === '') return null;
  let url: URL | null = null;
  try {
    if (typeof next === 'string') url = new URL(next, origin);
  } catch {
    // Reported below.
  }
  if (url === null) throw badResponse('"next" is not a URL', 'GET', path);
  if (url.origin !== origin) throw badResponse(`"next" points to another origin (${url.origin})`, 'GET', path);
  return url.href;
}

function asObject(value: unknown, method: string, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badResponse('expected a JSON object', method, path);
  }
  return value as Record<string, unknown>;
}

function badResponse(what: string, method: string, path: string): ProviderError {
  return new ProviderError(`Unexpected response from Ravi (${method} ${path}): ${what}`, {
    code: 'BAD_RESPONSE',
    method,
    path,
  });
}

function withHint(error: ProviderError, hint: string): ProviderError {
  const { code, status, method, path, attempts, transient } = error;
  return new ProviderError(`${error.message}. ${hint}`, { code, status, method, path, attempts, transient, cause: error });
}

function parseOrigin(apiUrl: string): string {
  try {
    const url = new URL(apiUrl);
    if (url.protocol === 'https:' || url.protocol === 'http:') return url.origin;
  } catch {
    // Reported below.
  }
  throw new ConfigError(`provider.apiUrl must be an http(s) URL, got "${apiUrl}"`, { file: null });
}
