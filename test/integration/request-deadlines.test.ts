/**
 * Our loopback HTTP servers' header and request timeouts (src/util/request-deadlines.ts), on real sockets: a client
 * trickling its headers or its body is told 408 and cut off, a quick client on a kept-alive connection is served
 * again, a long answer (the dashboard's event stream) outlives the request timeout, and a server with no client
 * holds no timer that would wake the process (Node's own check ran every 30 s for as long as the server listened).
 */
import { createHook } from 'node:async_hooks';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createLimitedHttpServer, type ConnectionLimits } from '../../src/util/connection-limits.js';
import { waitFor } from '../support/daemon-process.js';

const silent = pino({ level: 'silent' });
const LIMITS: ConnectionLimits = { maxConnections: 8, idleTimeoutMs: 0, headersTimeoutMs: 300, requestTimeoutMs: 600 };
const closers: Array<() => void> = [];
afterEach(() => {
  for (const close of closers.splice(0).reverse()) close();
});

/**
 * A server with LIMITS: `/stream` answers with a stream kept open, anything else reads the body and says 200. A kept-alive
 * connection's next request is due within keepAliveTimeout + headersTimeoutMs: the former is 5 s by default, 200 ms here.
 */
async function serve(): Promise<number> {
  const server = createLimitedHttpServer(LIMITS, silent, (request, response) => {
    if (request.url === '/stream') {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(': open\n\n');
      return;
    }
    request.resume();
    request.on('end', () => response.end('ok'));
  });
  server.keepAliveTimeout = 200;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => {
    server.closeAllConnections();
    server.close();
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

interface Client {
  readonly socket: Socket;
  said: string;
  closed: boolean;
}

async function client(port: number): Promise<Client> {
  const socket = connect(port, '127.0.0.1');
  const entry: Client = { socket, said: '', closed: false };
  socket.on('data', (chunk: Buffer) => void (entry.said += chunk.toString('utf8')));
  socket.on('error', () => undefined);
  socket.on('close', () => void (entry.closed = true));
  closers.push(() => socket.destroy());
  await once(socket, 'connect');
  return entry;
}

/** Writes a byte every 20 ms (never idle) until the socket closes. */
function trickle(entry: Client): void {
  const drip = setInterval(() => (entry.socket.writable ? entry.socket.write('x') : clearInterval(drip)), 20);
  closers.push(() => clearInterval(drip));
}

describe('request deadlines', () => {
  it('tells a client trickling its headers 408 and closes it', async () => {
    const port = await serve();
    const slow = await client(port);
    slow.socket.write('POST / HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    trickle(slow);
    await waitFor(() => slow.closed, 'the trickling client closed');
    expect(slow.said).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('tells a client trickling its body 408 once the request timeout passes, not the headers timeout', async () => {
    const port = await serve();
    const slow = await client(port);
    const started = Date.now();
    slow.socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n');
    trickle(slow);
    await waitFor(() => slow.closed, 'the trickling client closed');
    expect(slow.said).toMatch(/^HTTP\/1\.1 408 /);
    expect(Date.now() - started).toBeGreaterThanOrEqual(LIMITS.requestTimeoutMs - 20); // timers may fire a little early
  });

  it('serves a kept-alive connection again, and times out its next request like the first', async () => {
    const port = await serve();
    const kept = await client(port);
    kept.socket.write('GET /one HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => kept.said.includes('ok'), 'the first answer');
    kept.socket.write('GET /two HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => kept.said.split('HTTP/1.1 200').length === 3, 'the second answer');
    kept.socket.write('GET /three HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    trickle(kept);
    await waitFor(() => kept.closed, 'the third, trickled request cut off');
    expect(kept.said).toMatch(/HTTP\/1\.1 408 /);
  });

  it('keeps a long answer open past the request timeout', async () => {
    const port = await serve();
    const stream = await client(port);
    stream.socket.write('GET /stream HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => stream.said.includes(': open'), 'the stream opened');
    await new Promise((resolve) => setTimeout(resolve, 3 * LIMITS.requestTimeoutMs));
    expect(stream.closed).toBe(false);
    expect(stream.said).not.toMatch(/408/);
  });

  it('holds no timer due within a day while no client is connected', async () => {
    // Every timer created from the server's creation on, until destroyed (cleared, or fired once).
    const timers = new Map<number, { _idleTimeout?: number }>();
    const hook = createHook({
      init: (id, type, _trigger, resource) => void (type === 'Timeout' && timers.set(id, resource as { _idleTimeout?: number })),
      destroy: (id) => void timers.delete(id),
    }).enable();
    try {
      const port = await serve();
      const visitor = await client(port);
      visitor.socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      await once(visitor.socket, 'close');
      // Node's cache of the Date header is reset by a timer at the next whole second: one wakeup after an answer, not
      // one while idle. Past it, what is left is what an idle server keeps.
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      for (let i = 0; i < 3; i += 1) await new Promise((resolve) => setImmediate(resolve)); // destroy hooks run late
      // A Timeout's period is its _idleTimeout (Node's lib/internal/timers.js); -1 once it is off.
      const dueSoon = [...timers.values()].map((timer) => timer._idleTimeout ?? -1).filter((ms) => ms > 0 && ms < 86_400_000);
      expect(dueSoon).toEqual([]);
    } finally {
      hook.disable();
    }
  });
});
