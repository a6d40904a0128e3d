/**
 * The header and request timeouts of our loopback HTTP servers, kept by one timer per connection, armed only while
 * a request is due. Node keeps them with an interval per server (`connectionsCheckingInterval`, 30 s by default)
 * that runs for as long as the server listens: in the daemon, which never exits, it woke the process every 30 s
 * with no client at all (the local provider's SMS endpoint: two wakeups a minute, where issue 16 wants none). So
 * Node's checks are switched off (no timeouts, its interval at setInterval's longest, about 24.8 days) and these
 * timers do their work:
 * - from the connection, and from the end of each response, the next request's headers must be in within
 *   `headersTimeoutMs` (after a response, plus the server's keepAliveTimeout, which closes a silent keep-alive
 *   connection on its own before then);
 * - once its headers are in, the request (its body too) must be in within `requestTimeoutMs` of that same start.
 * Past a deadline the client is told 408, as Node tells it, unless an answer has begun, and the connection is
 * closed. A request whose body is in, or whose answer is a long-lived stream (the dashboard's events), has no timer.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface RequestDeadlines {
  /** The request's headers must be complete within this (catches a client trickling header bytes). */
  readonly headersTimeoutMs: number;
  /** The whole request (headers and body) must be in within this. */
  readonly requestTimeoutMs: number;
}

/** What Node answers to a request that timed out (lib/_http_server.js, requestTimeoutResponse). */
const TIMED_OUT = 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n';

interface Due {
  readonly timer: NodeJS.Timeout;
  /** The request the timer runs for; null while waiting for the next request's headers. */
  readonly request: IncomingMessage | null;
}

/**
 * An HTTP server whose connections keep `deadlines`, with Node's own timeout checks off so that its interval never
 * wakes the process. Add request listeners after this returns: a request's deadline is then armed before its
 * answer can begin.
 */
export function createServerWithDeadlines(deadlines: RequestDeadlines): Server {
  const server = createServer({ headersTimeout: 0, requestTimeout: 0, connectionsCheckingInterval: 2 ** 31 - 1 });
  keepRequestDeadlines(server, deadlines);
  return server;
}

function keepRequestDeadlines(server: Server, deadlines: RequestDeadlines): void {
  const due = new WeakMap<Socket, Due>();
  const since = new WeakMap<Socket, number>();
  const arm = (socket: Socket, atMs: number, request: IncomingMessage | null, answered: () => boolean): void => {
    clearTimeout(due.get(socket)?.timer);
    const timer = setTimeout(() => expire(socket, answered()), Math.max(0, atMs - Date.now()));
    timer.unref(); // the socket keeps the process alive while it is open, not its timer
    due.set(socket, { timer, request });
  };
  const disarm = (socket: Socket, request?: IncomingMessage): void => {
    const current = due.get(socket);
    if (current === undefined || (request !== undefined && current.request !== request)) return;
    clearTimeout(current.timer);
    due.delete(socket);
  };
  const awaitHeaders = (socket: Socket, extraMs: number): void => {
    const start = Date.now() + extraMs;
    since.set(socket, start);
    arm(socket, start + deadlines.headersTimeoutMs, null, () => false);
  };

  server.on('connection', (socket: Socket) => {
    awaitHeaders(socket, 0);
    socket.once('close', () => disarm(socket));
  });
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket;
    arm(socket, (since.get(socket) ?? Date.now()) + deadlines.requestTimeoutMs, request, () => response.headersSent);
    // In: a request without a body is complete once the parser call that gave its headers returns, before any
    // microtask; one with a body, when its reader sees the end (or Node drains it after the answer).
    queueMicrotask(() => {
      if (request.complete) disarm(socket, request);
    });
    request.once('end', () => disarm(socket, request));
    response.once('finish', () => {
      if (!socket.destroyed) awaitHeaders(socket, server.keepAliveTimeout);
    });
  });
}

function expire(socket: Socket, answered: boolean): void {
  if (!answered && socket.writable) socket.write(TIMED_OUT);
  socket.destroy();
}
