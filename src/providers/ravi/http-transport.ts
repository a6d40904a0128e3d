/**
 * One HTTP exchange over node:http / node:https, whichever the URL names (only that module is loaded).
 * Why not global fetch: undici loads lazily (about 60 ms on a process's first request) and its keep-alive
 * timers hold the process about 150 ms after the last response. A keep-alive Agent reuses connections
 * within a process and unrefs idle sockets (Node's lib/_http_agent.js, keepSocketAlive), so they never
 * hold the process open. Redirects are never followed: node:http hands a 3xx back as is.
 */
import type { Agent, IncomingMessage } from 'node:http';

export interface Exchange {
  readonly status: number;
  /** A response header's value (the first, when repeated), or null. */
  header(name: string): string | null;
  readonly text: string;
}

export interface SendOptions {
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Deadline of the whole exchange, connect to the body's last byte. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Called when the whole request has been handed to the connection (types.ts, CallOptions.onSent). */
  readonly onSent?: () => void;
}

/** A failed exchange. `code` is the system's (ECONNREFUSED, ECONNRESET, ENOTFOUND...) or TIMEOUT. */
export class TransportError extends Error {
  override readonly name: string = 'TransportError';
  constructor(
    readonly code: string,
    /** True when the request provably never left: the connection was never established. */
    readonly notSent: boolean,
    cause?: unknown,
  ) {
    super(code, { cause });
  }
}

/**
 * Sends one request and reads the whole response. Rejects with the signal's reason when the caller
 * aborts, with a TransportError on a timeout or a socket failure (mid-body included).
 */
export async function send(url: URL, options: SendOptions): Promise<Exchange> {
  options.signal?.throwIfAborted();
  const { request, agent } = await protocolFor(url.protocol);
  options.signal?.throwIfAborted();
  return new Promise<Exchange>((resolve, reject) => {
    let connected = false;
    let settled = false;
    const headers = { ...options.headers };
    if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
    const req = request(url, { method: options.method, headers, agent });

    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      outcome();
    };
    const fail = (error: unknown): void =>
      finish(() => {
        req.destroy();
        reject(error);
      });
    const onAbort = (): void => fail(options.signal?.reason);
    const timer = setTimeout(() => fail(new TransportError('TIMEOUT', !connected)), options.timeoutMs);
    options.signal?.addEventListener('abort', onAbort, { once: true });

    // Until the connection is up (TLS handshake included) not one byte of the request has left.
    req.on('socket', (socket) => {
      if (req.reusedSocket) connected = true;
      else socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => (connected = true));
    });
    if (options.onSent !== undefined) req.once('finish', options.onSent);
    req.on('error', (error) => fail(new TransportError(systemCode(error), !connected, error)));
    req.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      // A connection lost mid-body surfaces here (ECONNRESET "aborted"), never as a short body.
      res.on('error', (error) => fail(new TransportError(systemCode(error), false, error)));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        finish(() => resolve({ status: res.statusCode ?? 0, header: (name) => firstValue(res.headers[name.toLowerCase()]), text }));
      });
    });
    req.end(options.body);
  });
}

interface Protocol {
  readonly request: typeof import('node:http').request;
  readonly agent: Agent;
}
const protocols = new Map<string, Promise<Protocol>>();

function protocolFor(protocol: string): Promise<Protocol> {
  let loaded = protocols.get(protocol);
  if (!loaded) {
    if (protocol !== 'http:' && protocol !== 'https:') throw new TransportError('UNSUPPORTED_PROTOCOL', true);
    const module = protocol === 'https:' ? import('node:https') : import('node:http');
    loaded = module.then((m) => ({ request: m.request, agent: new m.Agent({ keepAlive: true }) }));
    protocols.set(protocol, loaded);
  }
  return loaded;
}

function systemCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'network error';
}

function firstValue(value: string | string[] | undefined): string | null {
  if (Array.isArray(value)) return value[0] ?? null;
  return value ?? null;
}
