/**
 * A fake Ravi API on 127.0.0.1 that serves what the real service serves (RAVI-CONTRACT.md, "Verified
 * again", and the shapes the real `ravi` CLI decodes: github.com/ravi-hq/cli internal/api/types.go):
 * bare JSON arrays for identities, secrets and messages (a `{count, next, results}` paging mode stays
 * available for the code that accepts pages), a secret's `identity` as an integer, `GET /api/email/`,
 * `/api/phone/`, `/api/email-inbox/`, `/api/sms-inbox/` and `/api/domains/` (fake-ravi-resources.ts),
 * `created_after` on messages (fake-ravi-messages.ts), and the refusals: `DELETE /api/identities/<uuid>/`
 * and any mark-read PATCH answer 405 unless a test opts in. Django-style slash-terminated paths, management
 * vs identity keys, injectable faults. `calls` records every request without any auth material.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createFakeMailbox, type FakeEmail, type FakeSms } from './fake-ravi-messages.js';
import { routeResources } from './fake-ravi-resources.js';

export type { FakeEmail, FakeSms } from './fake-ravi-messages.js';

export interface FakeRaviServerOptions {
  /** 'bare': one JSON array, as the real API answers; 'page': `{count,next,previous,results}` pages (limit/offset). @default 'bare' */
  pagination?: 'page' | 'bare';
  /** Answer `DELETE /api/identities/<uuid>/` (the real API has no identity delete: 405). @default false */
  allowIdentityDelete?: boolean;
  /** Answer `PATCH` of a message's `is_read` (the real API has no mark-read call: 405). @default false */
  allowMarkRead?: boolean;
  /** `provision_phone: true` answers 402. @default false */
  requirePaidPlanForPhone?: boolean;
  latencyMs?: number;
}
export interface FakeIdentity { uuid: string; name: string; inbox: string; phone: string | null; created_dt: string; updated_dt: string }
/** `identity` is the owner's numeric id, as the real API sends it. */
export interface FakeSecret { uuid: string; identity: number; key: string; value: string; notes: string; created_dt: string; updated_dt: string }
/**
 * `startedAt`/`endedAt`: CLOCK_MONOTONIC in ms (process.hrtime), the clock every process on the machine and
 * V8's --cpu-prof share on Linux, so a call's time lines up with the client's profile (bench/call-timeline.mjs).
 * `endedAt` is null until the answer has been handed to the socket (or the connection dropped).
 */
export interface RecordedCall { method: string; path: string; query: Record<string, string>; identityScope: string | null; startedAt: number; endedAt: number | null }
/** An answer instead of the real one; `raw` sends text as is (truncated or malformed JSON). */
export interface Fault { status: number; body?: unknown; raw?: string; headers?: Record<string, string> }
/** Which requests a fault hits; `query` must match every given parameter (e.g. `{ offset: '200' }` for page 2). */
export interface FaultFilter { method?: string; pathPrefix?: string; query?: Record<string, string> }
/**
 * 'reset': drop the connection without handling the request. 'drop-response': handle it (an
 * identity really is created) and then drop the connection, as a lost response does.
 */
export type FaultKind = Fault | 'reset' | 'drop-response' | { delayMs: number };

export interface FakeRaviServer {
  readonly url: string;
  readonly managementKey: string;
  readonly calls: RecordedCall[];
  latencyMs: number;
  close(): Promise<void>;
  addIdentity(input: { name: string; inbox?: string; phone?: string | null }): FakeIdentity;
  identities(): FakeIdentity[];
  setSecret(identityUuid: string, key: string, value: string): FakeSecret;
  /** The numeric id the API uses for an identity internally (a secret's `identity`). */
  numericIdOf(identityUuid: string): number;
  addEmail(identityUuid: string, fields: Record<string, unknown>): FakeEmail;
  addSms(identityUuid: string, fields: Record<string, unknown>): FakeSms;
  mutatingCalls(): number;
  resetCalls(): void;
  /** The next `count` matching requests get `fault` (or a dropped connection) instead of an answer. */
  failNext(count: number, fault: FaultKind, filter?: FaultFilter): void;
}

type Actor = { kind: 'mgmt' } | { kind: 'identity'; uuid: string };
class HttpError extends Error {
  constructor(readonly status: number, detail: string) { super(detail); }
}

export async function startFakeRaviServer(options: FakeRaviServerOptions = {}): Promise<FakeRaviServer> {
  const managementKey = `ravi_mgmt_${randomBytes(16).toString('hex')}`;
  const identities = new Map<string, FakeIdentity>();
  const numericIds = new Map<string, number>();
  const keys = new Map<string, string>(); // identity key -> identity uuid
  const secrets = new Map<string, FakeSecret>();
  const faults: { remaining: number; fault: FaultKind; filter: FaultFilter }[] = [];
  const calls: RecordedCall[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let phoneCounter = 1000;
  let url = '';
  const now = (): string => new Date().toISOString();

  function addIdentity(input: { name: string; inbox?: string; phone?: string | null }): FakeIdentity {
    let local = input.name.toLowerCase().replace(/[^a-z0-9.-]+/g, '-') || 'agent';
    const taken = (address: string): boolean => [...identities.values()].some((i) => i.inbox === address);
    for (let n = 2; !input.inbox && taken(`${local}@raviapp.com`); n++) local = `${local.replace(/-\d+$/, '')}-${n}`;
    const identity: FakeIdentity = {
      uuid: randomUUID(), name: input.name, inbox: input.inbox ?? `${local}@raviapp.com`,
      phone: input.phone ?? null, created_dt: now(), updated_dt: now(),
    };
    identities.set(identity.uuid, identity);
    numericIds.set(identity.uuid, numericIds.size + 1);
    return identity;
  }
  const numericIdOf = (uuid: string): number => numericIds.get(uuid) ?? 0;
  function issueKey(uuid: string): string {
    const key = `ravi_id_${randomBytes(16).toString('hex')}`;
    keys.set(key, uuid);
    return key;
  }
  function setSecret(identityUuid: string, key: string, value: string, notes = ''): FakeSecret {
    const owner = numericIdOf(identityUuid);
    const existing = [...secrets.values()].find((s) => s.identity === owner && s.key === key);
    if (existing) return Object.assign(existing, { value, notes: notes || existing.notes, updated_dt: now() });
    const secret = { uuid: randomUUID(), identity: owner, key, value, notes, created_dt: now(), updated_dt: now() };
    secrets.set(secret.uuid, secret);
    return secret;
  }
  const addMessage = (kind: 'email' | 'sms', identity: string, fields: Record<string, unknown>): FakeEmail =>
    mailbox.add(kind, identities.get(identity) ?? identity, fields);

  function authenticate(req: IncomingMessage): Actor {
    const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    if (!match) throw new HttpError(401, 'Authentication credentials were not provided.');
    if (match[1] === managementKey) return { kind: 'mgmt' };
    const uuid = keys.get(match[1] ?? '');
    if (uuid === undefined || !identities.has(uuid)) throw new HttpError(401, 'Invalid token.');
    return { kind: 'identity', uuid };
  }
  /** The identity a request acts as: an identity key's own, or `?identity=` with the management key. */
  function scopeOf(actor: Actor, query: URLSearchParams): string | null {
    const asked = query.get('identity');
    if (actor.kind === 'identity') {
      if (asked !== null && asked !== actor.uuid) throw new HttpError(403, 'You do not have permission to perform this action.');
      return actor.uuid;
    }
    if (asked !== null && !identities.has(asked)) throw new HttpError(404, 'Not found.');
    return asked;
  }
  const requireMgmt = (actor: Actor): void => {
    if (actor.kind !== 'mgmt') throw new HttpError(403, 'You do not have permission to perform this action.');
  };
  const requireScope = (scope: string | null): string => {
    if (scope === null) throw new HttpError(400, 'identity is required with a management key.');
    return scope;
  };

  function list(items: unknown[], path: string, query: URLSearchParams): unknown {
    if (options.pagination !== 'page') return items;
    const limit = Math.min(200, Math.max(1, Number(query.get('limit') ?? 50) || 50));
    const offset = Math.max(0, Number(query.get('offset') ?? 0) || 0);
    const link = (at: number): string => {
      const q = new URLSearchParams(query);
      q.set('limit', String(limit));
      q.set('offset', String(at));
      return `${url}${path}?${q.toString()}`;
    };
    return {
      count: items.length,
      next: offset + limit < items.length ? link(offset + limit) : null,
      previous: offset > 0 ? link(Math.max(0, offset - limit)) : null,
      results: items.slice(offset, offset + limit),
    };
  }

  const mailbox = createFakeMailbox(() => url, list, { allowMarkRead: options.allowMarkRead === true });

  function route(method: string, path: string, query: URLSearchParams, actor: Actor, body: Record<string, unknown>): [number, unknown] {
    const scope = scopeOf(actor, query);
    const ownIdentity = (uuid: string): FakeIdentity => {
      const identity = identities.get(uuid);
      if (!identity || (actor.kind === 'identity' && actor.uuid !== uuid)) throw new HttpError(404, 'Not found.');
      return identity;
    };
    let m: RegExpExecArray | null;
    if (path === '/api/identities/' && method === 'GET') {
      return [200, list([...identities.values()].filter((i) => scope === null || i.uuid === scope), path, query)];
    }
    if (path === '/api/identities/' && method === 'POST') {
      requireMgmt(actor);
      if (typeof body.name !== 'string' || body.name.trim() === '') throw new HttpError(400, 'name is required.');
      const phone = body.provision_phone === true;
      if (phone && options.requirePaidPlanForPhone) throw new HttpError(402, 'Phone numbers require a paid plan.');
      let inbox: string | undefined;
      if (body.email !== undefined) {
        const local = String(body.email).split('@')[0] ?? '';
        if (!/^[a-z0-9](?:[a-z0-9.-]{1,28})[a-z0-9]$/.test(local) || /\.\.|--/.test(local)) throw new HttpError(400, 'Invalid email local part.');
        inbox = `${local}@raviapp.com`;
        if ([...identities.values()].some((i) => i.inbox === inbox)) throw new HttpError(409, 'This email address is already taken.');
      }
      const identity = addIdentity({ name: body.name, inbox, phone: phone ? `+1555${String(phoneCounter++).padStart(7, '0')}` : null });
      return [201, { ...identity, api_key: issueKey(identity.uuid) }];
    }
    if ((m = /^\/api\/identities\/([^/]+)\/$/.exec(path))) {
      const identity = ownIdentity(m[1] ?? '');
      if (method === 'GET') return [200, identity];
      // Identities are permanent: the real API lists create, list, retrieve and update, and no delete.
      if (method !== 'DELETE' || options.allowIdentityDelete !== true) throw new HttpError(405, `Method "${method}" not allowed.`);
      requireMgmt(actor);
      identities.delete(identity.uuid);
      for (const [key, uuid] of keys) if (uuid === identity.uuid) keys.delete(key);
      for (const secret of secrets.values()) if (secret.identity === numericIdOf(identity.uuid)) secrets.delete(secret.uuid);
      mailbox.forget(identity.uuid);
      return [204, null];
    }
    if (path === '/api/auth/keys/identity/' && method === 'POST') {
      requireMgmt(actor);
      if (typeof body.identity_uuid !== 'string' || typeof body.label !== 'string') throw new HttpError(400, 'identity_uuid and label are required.');
      if (!identities.has(body.identity_uuid)) throw new HttpError(404, 'Not found.');
      return [201, { key: issueKey(body.identity_uuid), identity_uuid: body.identity_uuid, label: body.label }];
    }
    if (path === '/api/secrets/' && method === 'GET') {
      const owner = numericIdOf(requireScope(scope));
      const key = query.get('key');
      const found = [...secrets.values()].filter((s) => s.identity === owner && (key === null || s.key === key.toUpperCase()));
      return [200, list(found, path, query)];
    }
    if (path === '/api/secrets/' && method === 'POST') {
      const owner = requireScope(scope);
      const key = String(body.key ?? '').toUpperCase();
      if (!/^[A-Z][A-Z0-9_]*$/.test(key) || typeof body.value !== 'string') throw new HttpError(400, 'Invalid secret key or value.');
      const existed = [...secrets.values()].some((s) => s.identity === numericIdOf(owner) && s.key === key);
      return [existed ? 200 : 201, setSecret(owner, key, body.value, typeof body.notes === 'string' ? body.notes : '')];
    }
    if ((m = /^\/api\/secrets\/([^/]+)\/$/.exec(path))) {
      const secret = secrets.get(m[1] ?? '');
      if (!secret || (scope !== null && secret.identity !== numericIdOf(scope)) || (scope === null && actor.kind !== 'mgmt')) throw new HttpError(404, 'Not found.');
      if (method === 'DELETE') return [204, secrets.delete(secret.uuid) && null];
      if (method !== 'PATCH') throw new HttpError(405, `Method "${method}" not allowed.`);
      if (typeof body.value === 'string') secret.value = body.value;
      if (typeof body.notes === 'string') secret.notes = body.notes;
      return [200, Object.assign(secret, { updated_dt: now() })];
    }
    const message = mailbox.route(method, path, query, () => requireScope(scope), body);
    if (message) return message;
    const resource = routeResources(method, path, { scope, actor: actor.kind, identities: () => [...identities.values()], numericIdOf, mailbox }, query);
    if (resource) return resource;
    throw new HttpError(404, 'Not found.');
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const parsed = new URL(req.url ?? '/', url);
    let identityScope: string | null = null;
    try {
      const actor = authenticate(req);
      identityScope = actor.kind === 'identity' ? actor.uuid : parsed.searchParams.get('identity');
    } catch {
      // Auth is answered after faults below, like a real proxy in front of the app.
    }
    const call: RecordedCall = { method, path: parsed.pathname, query: Object.fromEntries(parsed.searchParams), identityScope, startedAt: monotonicMs(), endedAt: null };
    calls.push(call);
    res.once('close', () => { call.endedAt = monotonicMs(); });
    const raw = await readBody(req);
    if (server.latencyMs > 0) await new Promise<void>((resolve) => { const t = setTimeout(() => { timers.delete(t); resolve(); }, server.latencyMs); timers.add(t); });
    const fault = faults.find(
      (f) =>
        f.remaining > 0 &&
        (!f.filter.method || f.filter.method === method) &&
        parsed.pathname.startsWith(f.filter.pathPrefix ?? '') &&
        Object.entries(f.filter.query ?? {}).every(([k, v]) => parsed.searchParams.get(k) === v),
    );
    if (fault) fault.remaining--;
    const dropResponse = fault?.fault === 'drop-response';
    if (fault && typeof fault.fault === 'object' && 'delayMs' in fault.fault) {
      // A slow answer (a timeout for a client with a shorter deadline), then the real one.
      const wait = fault.fault.delayMs;
      await new Promise<void>((resolve) => { const t = setTimeout(() => { timers.delete(t); resolve(); }, wait); timers.add(t); });
    } else if (fault && !dropResponse) {
      if (fault.fault === 'reset' || fault.fault === 'drop-response' || 'delayMs' in fault.fault) return void req.socket.destroy();
      const { status, body, headers, raw: rawText } = fault.fault;
      if (rawText !== undefined) {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        return void res.end(rawText);
      }
      const payload = body ?? (status === 429 ? { detail: 'Request was throttled.', retry_after_seconds: 1 } : { detail: `Injected ${status}.` });
      const extra = Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
      const asked = (payload as { retry_after_seconds?: unknown } | null)?.retry_after_seconds;
      // A 429 carries Retry-After too, unless the test set it or the body gives no wait to mirror.
      if (status === 429 && extra['retry-after'] === undefined && typeof asked === 'number') extra['retry-after'] = String(asked);
      return send(res, status, payload, extra);
    }
    try {
      if (!parsed.pathname.endsWith('/')) throw new HttpError(404, 'Not found.');
      const actor = authenticate(req);
      let body: Record<string, unknown> = {};
      if (raw !== '') {
        try { body = JSON.parse(raw) as Record<string, unknown>; } catch { throw new HttpError(400, 'JSON parse error.'); }
      }
      const [status, payload] = route(method, parsed.pathname, parsed.searchParams, actor, body);
      if (dropResponse) return void req.socket.destroy(); // the work is done, the answer never arrives
      send(res, status, payload);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      send(res, error.status, { detail: error.message });
    }
  }

  const http = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 500, { detail: String(error) }));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;

  const server: FakeRaviServer = {
    url, managementKey, calls, latencyMs: options.latencyMs ?? 0,
    async close() {
      for (const timer of timers) clearTimeout(timer);
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
    addIdentity,
    identities: () => [...identities.values()].map((i) => ({ ...i })),
    setSecret: (identityUuid, key, value) => ({ ...setSecret(identityUuid, key, value) }),
    numericIdOf,
    addEmail: (identityUuid, fields) => addMessage('email', identityUuid, fields),
    addSms: (identityUuid, fields) => addMessage('sms', identityUuid, fields),
    mutatingCalls: () => calls.filter((c) => ['POST', 'PATCH', 'PUT', 'DELETE'].includes(c.method)).length,
    resetCalls: () => void calls.splice(0, calls.length),
    failNext(count, fault, filter = {}) {
      faults.push({ remaining: count, fault, filter });
    },
  };
  return server;
}

function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

function send(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = status === 204 ? '' : JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
