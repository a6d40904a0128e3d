/**
 * The local provider's SMS endpoint: `POST /sms` on loopback puts a text message into the inbox of the
 * local identity owning the `to` number. Takes JSON (`application/json`), or a Twilio-style form with an
 * Authorization header; Twilio's `To`/`From`/`Body` names work in both. Anything a web page could send
 * cross-site is refused (browser-guard.ts); connections are capped (util/connection-limits.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../util/logger.js';
import { createLimitedHttpServer, SMS_LIMITS, type ConnectionLimits } from '../util/connection-limits.js';
import { checkLocalRequest, type BodyKind } from './browser-guard.js';
import type { InboxStore } from './inbox-store.js';
import { assertLoopbackHost, type RunningServer } from './smtp-server.js';

export interface SmsEndpointOptions {
  /** Loopback only. @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  /** The identity uuid owning an E.164 number, or null when none does. */
  resolveNumber: (e164: string) => Promise<string | null>;
  store: InboxStore;
  logger: Logger;
  /** @default SMS_LIMITS */
  limits?: ConnectionLimits;
}

const MAX_BODY_BYTES = 64 * 1024;

export async function startSmsEndpoint(options: SmsEndpointOptions): Promise<RunningServer> {
  const host = assertLoopbackHost(options.host ?? '127.0.0.1', 'SMS endpoint');
  const server = createLimitedHttpServer(options.limits ?? SMS_LIMITS, options.logger, (request, response) => {
    handle(request, response, options).catch((error: unknown) => {
      options.logger.error({ err: error }, 'cannot take an SMS');
      if (!response.headersSent) reply(response, 500, { detail: 'The SMS could not be stored; try again' });
    });
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', (error) => reject(new Error(`Cannot listen for SMS on ${host}:${options.port}: ${error.message}`, { cause: error })));
    server.listen(options.port, host, () => {
      const bound = server.address();
      resolve(typeof bound === 'object' && bound !== null ? bound.port : options.port);
    });
  });
  let closing: Promise<void> | null = null;
  return {
    host,
    port,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      })),
  };
}

/** `+<country><number>` (E.164), or null. Numbers without a country code are taken as North American. */
export function normalizePhone(raw: string): string | null {
  const trimmed = raw.trim();
  if (!/^\+?[\d\s().-]+$/.test(trimmed)) return null;
  let digits = trimmed.replace(/\D/g, '');
  if (!trimmed.startsWith('+')) {
    if (digits.startsWith('00')) digits = digits.slice(2);
    else if (digits.length === 10) digits = `1${digits}`;
    else if (!(digits.length === 11 && digits.startsWith('1'))) return null;
  }
  return /^[1-9]\d{7,14}$/.test(digits) ? `+${digits}` : null;
}

async function handle(request: IncomingMessage, response: ServerResponse, options: SmsEndpointOptions): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  if (path !== '/sms') return reply(response, 404, { detail: `Not found: ${path} (the endpoint is POST /sms)` });
  if (request.method !== 'POST') {
    response.setHeader('allow', 'POST');
    return reply(response, 405, { detail: `Method ${request.method ?? ''} not allowed (the endpoint is POST /sms)` });
  }
  const kind = checkLocalRequest(request.headers, request.socket.localPort ?? 0);
  if (typeof kind !== 'string') {
    // Worth a warning: on a person's machine this is most likely a web page trying to plant a code.
    const { host, origin, referer } = request.headers;
    options.logger.warn({ rule: kind.rule, host, origin, referer, secFetchSite: request.headers['sec-fetch-site'] }, 'refused an SMS request a web page could have sent');
    response.setHeader('connection', 'close'); // the body is not read
    return reply(response, kind.status, { detail: kind.detail });
  }
  const raw = await readCapped(request);
  if (raw === null) return reply(response, 413, { detail: `The body is larger than ${MAX_BODY_BYTES} bytes` });
  const fields = parseFields(raw, kind);
  if (typeof fields === 'string') return reply(response, 400, { detail: fields });
  const to = normalizePhone(fields.to);
  if (to === null) return reply(response, 400, { detail: `"to" is not a phone number (got "${fields.to}")` });

  const uuid = await options.resolveNumber(to);
  if (uuid === null) return reply(response, 404, { detail: `No local agent has the number ${to}` });
  // A sender may be a name ("GitHub"), not a number: keep it when it does not normalize.
  const from = normalizePhone(fields.from) ?? fields.from.trim();
  const message = await options.store.addSms(uuid, { from_number: from, to_number: to, body: fields.body });
  options.logger.info({ from, to, size: Buffer.byteLength(fields.body) }, 'delivered an SMS'); // never the body: it holds codes
  reply(response, 201, message);
}

interface SmsFields {
  to: string;
  from: string;
  body: string;
}

/** The fields, or why they cannot be read. `from` may be left out; `to` and `body` may not. */
function parseFields(raw: Buffer, kind: BodyKind): SmsFields | string {
  let record: Record<string, unknown>;
  if (kind === 'form') {
    // `curl -d To=+1201...` sends a raw "+", which form decoding turns into a space: restore it.
    record = Object.fromEntries([...new URLSearchParams(raw.toString('utf8'))].map(([k, v]) => [k, v.replace(/^ (?=\d)/, '+')]));
  } else {
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      return 'The body is not valid JSON';
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) return 'The body must be a JSON object: {"to", "from", "body"}';
    record = json as Record<string, unknown>;
  }
  const pick = (name: string) => record[name] ?? record[name[0]!.toUpperCase() + name.slice(1)];
  const [to, from, body] = [pick('to'), pick('from') ?? '', pick('body')];
  if (typeof to !== 'string' || to.trim() === '') return 'Missing "to" (the agent\'s phone number)';
  if (typeof body !== 'string' || body === '') return 'Missing "body" (the message text)';
  if (typeof from !== 'string') return '"from" must be a string';
  return { to, from, body };
}

/** The body, or null past the limit; the rest is still read so the client gets our 413, not a reset. */
async function readCapped(request: IncomingMessage): Promise<Buffer | null> {
  let chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total <= MAX_BODY_BYTES) chunks.push(chunk);
    else chunks = [];
  }
  return total > MAX_BODY_BYTES ? null : Buffer.concat(chunks, total);
}

function reply(response: ServerResponse, status: number, value: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  response.end(`${JSON.stringify(value)}\n`);
}
