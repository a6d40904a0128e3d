/**
 * RaviHttpClient's transport (node:http) against tiny loopback servers that misbehave on purpose: a body
 * that stalls or breaks off, a redirect, a port nobody listens on, and connection reuse that must never
 * keep the process alive.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { inspect } from 'node:util';
import { RaviHttpClient } from '../../src/providers/ravi/http-client.js';
import { failure } from '../support/provider-failure.js';

const KEY = 'ravi_mgmt_0123456789abcdef';
const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

interface Loopback {
  url: string;
  requests: { method: string; url: string; authorization: string | undefined }[];
  connections: number;
}

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Loopback> {
  const state: Loopback = { url: '', requests: [], connections: 0 };
  const server = createServer((req, res) => {
    state.requests.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization });
    req.resume();
    req.on('end', () => handler(req, res));
  });
  server.on('connection', (socket: Socket) => {
    state.connections++;
    socket.unref(); // Only the client's sockets count in the keep-alive test below.
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

function client(baseUrl: string, attempts = 3, fetchTimeoutMs = 5_000): RaviHttpClient {
  return new RaviHttpClient({ baseUrl, managementKey: KEY, fetchTimeoutMs, retry: { attempts, baseMs: 1, capMs: 2 } });
}

/** Headers and the start of a JSON body, then nothing more (or a cut connection). */
function halfBody(res: ServerResponse, then: 'stall' | 'cut'): void {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
  res.write('{"results": [');
  if (then === 'cut') setImmediate(() => res.socket?.destroy());
}

describe('RaviHttpClient over node:http', () => {
  it('reads a JSON body, sends the key only as a bearer header, and reuses one connection', async () => {
    const api = await serve((_req, res) => res.end(JSON.stringify([{ uuid: 'u1' }])));
    const http = client(api.url);
    expect(await http.request('GET', '/api/identities/', { query: { limit: 200 } })).toEqual([{ uuid: 'u1' }]);
    expect(await http.request('GET', '/api/identities/')).toEqual([{ uuid: 'u1' }]);
    expect(api.requests.map((r) => r.url)).toEqual(['/api/identities/?limit=200', '/api/identities/']);
    expect(api.requests[0]?.authorization).toBe(`Bearer ${KEY}`);
    expect(api.connections).toBe(1);
    // The pooled idle socket is unref'd: it does not keep a one-shot CLI process alive.
    expect(process.getActiveResourcesInfo().filter((type) => type === 'TCPSocketWrap')).toEqual([]);
  });

  it('does not follow a redirect: BAD_RESPONSE with the hint, and the target never sees the key', async () => {
    const elsewhere = await serve((_req, res) => res.end('[]'));
    const api = await serve((_req, res) => {
      res.writeHead(302, { location: `${elsewhere.url}/api/identities/?token=abc` });
      res.end();
    });
    const error = await failure(client(api.url).request('GET', '/api/identities/'));
    expect(error).toMatchObject({ code: 'BAD_RESPONSE', status: 302, attempts: 1 });
    expect(error.message).toContain(`Ravi redirected to ${elsewhere.url}/api/identities/ (302)`);
    expect(error.message).toContain('Check provider.apiUrl');
    expect(error.message).not.toContain('token=abc');
    expect(elsewhere.requests).toEqual([]);
  });

  it('times out a body that stalls half-way, and retries a GET', async () => {
    const api = await serve((_req, res) => halfBody(res, 'stall'));
    const error = await failure(client(api.url, 2, 100).request('GET', '/api/identities/'));
    expect(error).toMatchObject({ code: 'NETWORK', transient: true, attempts: 2, status: null });
    expect(error.message).toContain('timed out after 100 ms');
    expect(api.requests).toHaveLength(2);
  });

  it('stops at once with the caller\'s reason when aborted mid-body, without retrying', async () => {
    const controller = new AbortController();
    const reason = new Error('shutting down');
    const api = await serve((_req, res) => {
      halfBody(res, 'stall');
      setImmediate(() => controller.abort(reason));
    });
    await expect(client(api.url).request('GET', '/api/identities/', { signal: controller.signal })).rejects.toBe(reason);
    expect(api.requests).toHaveLength(1);
  });

  it('treats a connection cut mid-body as a network error: a GET is retried, a POST is not resent', async () => {
    let cuts = 1;
    const api = await serve((req, res) => {
      if (req.method === 'POST' || cuts-- > 0) return halfBody(res, 'cut');
      res.end('{"ok": true}');
    });
    const http = client(api.url);
    expect(await http.request('GET', '/api/identities/')).toEqual({ ok: true });
    expect(api.requests).toHaveLength(2);
    const error = await failure(http.request('POST', '/api/identities/', { body: { name: 'x' } }));
    expect(error).toMatchObject({ code: 'NETWORK', attempts: 1 });
    expect(error.message).toContain('ECONNRESET');
    expect(api.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('retries even a POST when the connection is refused (nothing was sent), and names the cause', async () => {
    const gone = await serve(() => undefined);
    const server = servers.pop() as Server;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const error = await failure(client(gone.url, 3).request('POST', '/api/identities/', { body: { name: 'x' } }));
    expect(error).toMatchObject({ code: 'NETWORK', transient: true, attempts: 3, method: 'POST', path: '/api/identities/' });
    expect(error.message).toContain(`Could not reach Ravi at ${gone.url} (ECONNREFUSED)`);
    expect(inspect(error, { depth: 10 })).not.toContain(KEY);
  });
});
