/**
 * The Ravi HTTP API over node:http(s) (http-transport.ts): management-key auth, per-attempt timeout joined with the caller's
 * signal, retries per retry.ts, and every failure mapped to a ProviderError that names method, path,
 * status, attempts and worktree. Keys never reach a message, a cause or a log.
 */
import type { CallOptions } from '../types.js';
import { ProviderError, type ProviderErrorCode } from '../../util/errors.js';
import { send, TransportError, type Exchange } from './http-transport.js';
import { resolveRetryPolicy, retryAfterMs, withRetry, type AttemptOutcome, type RetryPolicy } from './retry.js';

export interface RaviHttpClientOptions {
  /** API base URL, e.g. `https://ravi.id`; a trailing slash is ignored. */
  readonly baseUrl: string;
  readonly managementKey: string;
  readonly retry?: Partial<RetryPolicy>;
  /** Timeout of one attempt, body included. @default 15000 */
  readonly fetchTimeoutMs?: number;
}

export type QueryValue = string | number | boolean | null | undefined;

export interface RequestOptions extends CallOptions {
  readonly query?: Readonly<Record<string, QueryValue>>;
  /** Sent as JSON. */
  readonly body?: unknown;
  /** Act as this identity: `?identity=<uuid>` with the management key. */
  readonly identity?: string;
  /** Safe to resend after an ambiguous failure (timeout, reset, 500). @default false for POST, else true */
  readonly idempotent?: boolean;
}

export const DEFAULT_FETCH_TIMEOUT_MS = 15_000;

const KEY_PATTERN = /ravi_(?:mgmt|id)_[A-Za-z0-9_-]+/g;

export class RaviHttpClient {
  readonly baseUrl: string;
  readonly origin: string;
  readonly #managementKey: string;
  readonly #policy: RetryPolicy;
  readonly #timeoutMs: number;

  constructor(options: RaviHttpClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.origin = new URL(this.baseUrl).origin;
    this.#managementKey = options.managementKey;
    this.#policy = resolveRetryPolicy(options.retry);
    this.#timeoutMs = options.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  }

  /**
   * Sends one logical request (retried per policy) and resolves with the parsed JSON body, or null for
   * an empty one. `pathOrUrl` is `/api/...` or an absolute URL on the API's own origin (pagination).
   */
  async request(method: string, pathOrUrl: string, options: RequestOptions = {}): Promise<unknown> {
    const url = this.#url(method, pathOrUrl, options);
    const idempotent = options.idempotent ?? method.toUpperCase() !== 'POST';
    const call: CallContext = { method: method.toUpperCase(), path: url.pathname, worktree: options.worktree };
    return withRetry((n) => this.#attempt(url, call, n, idempotent, options), this.#policy, options.signal);
  }

  async #attempt(
    url: URL,
    call: CallContext,
    attempt: number,
    idempotent: boolean,
    options: RequestOptions,
  ): Promise<AttemptOutcome<unknown>> {
    let response: Exchange;
    try {
      response = await send(url, {
        method: call.method,
        headers: this.#headers(options.body !== undefined),
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        timeoutMs: this.#timeoutMs,
        signal: options.signal,
        onSent: options.onSent,
      });
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      const transport = error instanceof TransportError ? error : null;
      const code = transport?.code === 'TIMEOUT' ? `timed out after ${this.#timeoutMs} ms` : (transport?.code ?? 'network error');
      const headline = `Could not reach Ravi at ${this.origin} (${code})`;
      const failure = this.#error('NETWORK', headline, call, attempt, null, null, true, transport?.cause ?? error);
      // Resending is safe when the call is idempotent, or when the request provably never left.
      return { ok: false, error: failure, retryable: idempotent || transport?.notSent === true };
    }
    const { status, text } = response;
    if (status >= 200 && status < 300) {
      if (text.trim() === '') return { ok: true, value: null };
      try {
        return { ok: true, value: JSON.parse(text) as unknown };
      } catch {
        const failure = this.#error('BAD_RESPONSE', 'Ravi sent malformed JSON', call, attempt, status, null, false);
        return { ok: false, error: failure, retryable: false };
      }
    }
    const body = parseJson(text);
    const detail = this.#detail(body, text);
    const [code, headline, hint] = classify(status, response.header('location'));
    const transient = code === 'RATE_LIMITED' || code === 'SERVER';
    const failure = this.#error(code, headline, call, attempt, status, detail, transient, undefined, hint);
    const retryable = code === 'RATE_LIMITED' || (code === 'SERVER' && (idempotent || status === 503));
    const asked = code === 'RATE_LIMITED' ? retryAfterMs(response.header('retry-after'), body) : null;
    return { ok: false, error: failure, retryable, retryAfterMs: asked };
  }

  #url(method: string, pathOrUrl: string, options: RequestOptions): URL {
    const url = pathOrUrl.startsWith('/') ? new URL(this.baseUrl + pathOrUrl) : new URL(pathOrUrl);
    if (url.origin !== this.origin) {
      throw new ProviderError(`Refusing to send ${method} to ${url.origin}: not the Ravi API at ${this.origin}`, {
        code: 'BAD_RESPONSE',
        method,
        path: url.pathname,
      });
    }
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined && value !== null) url.searchParams.set(name, String(value));
    }
    if (options.identity !== undefined) url.searchParams.set('identity', options.identity);
    return url;
  }

  #headers(hasBody: boolean): Record<string, string> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      authorization: `Bearer ${this.#managementKey}`,
    };
    if (hasBody) headers['content-type'] = 'application/json';
    return headers;
  }

  /** The server's explanation, shortened and with anything key-shaped masked. */
  #detail(body: unknown, text: string): string | null {
    let detail: string | null = null;
    if (body && typeof body === 'object') {
      const field = (body as { detail?: unknown }).detail;
      detail = typeof field === 'string' ? field : JSON.stringify(body);
    } else if (text.trim() !== '' && !text.trimStart().startsWith('<')) {
      detail = text.trim();
    }
    if (detail === null) return null;
    const masked = detail.split(this.#managementKey).join('***').replace(KEY_PATTERN, 'ravi_***');
    return masked.length > 300 ? `${masked.slice(0, 300)}...` : masked;
  }

  #error(
    code: ProviderErrorCode,
    headline: string,
    call: CallContext,
    attempts: number,
    status: number | null,
    detail: string | null,
    transient: boolean,
    cause?: unknown,
    hint?: string,
  ): ProviderError {
    const where = `${call.method} ${call.path}${status === null ? '' : ` -> HTTP ${status}`}`;
    const tries = `${attempts} attempt${attempts === 1 ? '' : 's'}`;
    const worktree = call.worktree ? `, worktree ${call.worktree}` : '';
    const message = `${headline} (${where}, ${tries}${worktree})${detail ? `: ${detail}` : ''}${hint ? `. ${hint}` : ''}`;
    return new ProviderError(message, { code, status, method: call.method, path: call.path, attempts, transient, cause });
  }
}

interface CallContext {
  readonly method: string;
  readonly path: string;
  readonly worktree: string | undefined;
}

function classify(status: number, location: string | null): [ProviderErrorCode, string, string?] {
  if (status === 401 || status === 403) {
    return ['UNAUTHORIZED', `Ravi rejected the management key (${status})`, 'Run `ravi auth login` to sign in again'];
  }
  if (status === 402) return ['PAYMENT_REQUIRED', 'This request needs a paid Ravi plan (402)'];
  if (status === 404) return ['NOT_FOUND', 'Ravi found no such resource (404)'];
  if (status === 409) return ['CONFLICT', 'Ravi reported a conflict (409)'];
  if (status === 429) return ['RATE_LIMITED', 'Ravi rate-limited the request (429)'];
  if (status >= 500) return ['SERVER', `Ravi had a server error (${status})`];
  if (status >= 300 && status < 400) {
    const target = location ? ` to ${location.split('?')[0]}` : '';
    return ['BAD_RESPONSE', `Ravi redirected${target} (${status})`, 'Check provider.apiUrl'];
  }
  return ['BAD_REQUEST', `Ravi refused the request (${status})`];
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
