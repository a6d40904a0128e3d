/**
 * Caps and timeouts for our loopback servers (SMTP, SMS endpoint, dashboard). Without them any local process or
 * web page could open connections until the daemon ran out of memory (500 slow SMTP clients held 116 MB): now
 * connections past the cap are closed on arrival, and a silent or trickling client is cut off.
 */
import type { RequestListener, Server } from 'node:http';
import type { Logger } from './logger.js';
import { createServerWithDeadlines } from './request-deadlines.js';

export interface ConnectionLimits {
  /** Connections open at once; more are closed as they arrive. */
  readonly maxConnections: number;
  /** A connection with no byte in either direction for this long is closed; 0 for none (long-lived streams). */
  readonly idleTimeoutMs: number;
  /** HTTP: the request headers must be complete within this (catches a client trickling header bytes). */
  readonly headersTimeoutMs: number;
  /** HTTP: the whole request (headers and body) must be in within this. */
  readonly requestTimeoutMs: number;
}

/** The SMS endpoint: apps post one small JSON body and go. */
export const SMS_LIMITS: ConnectionLimits = {
  maxConnections: 64, idleTimeoutMs: 30_000, headersTimeoutMs: 10_000, requestTimeoutMs: 30_000,
};

/** The dashboard: a person's few tabs, each holding one event stream open (so no idle timeout: it is quiet for 25 s). */
export const DASHBOARD_LIMITS: ConnectionLimits = {
  maxConnections: 32, idleTimeoutMs: 0, headersTimeoutMs: 10_000, requestTimeoutMs: 30_000,
};
/** A flood of refused connections is logged once per this period, with a count, not once per connection. */
const DROP_LOG_PERIOD_MS = 60_000;

/**
 * An HTTP server with these limits. Node's `maxConnections` closes a connection past the cap at once
 * (https://nodejs.org/api/net.html#servermaxconnections); the header and request timeouts answer 408 and close, kept
 * by request-deadlines.ts instead of Node's interval, which would wake an idle daemon every 30 s.
 */
export function createLimitedHttpServer(limits: ConnectionLimits, logger: Logger, listener: RequestListener): Server {
  const server = createServerWithDeadlines(limits);
  server.on('request', listener);
  server.maxConnections = limits.maxConnections;
  // With no 'timeout' listener, Node destroys a socket idle this long.
  if (limits.idleTimeoutMs > 0) server.setTimeout(limits.idleTimeoutMs);
  let dropped = 0;
  let loggedAt = -Infinity;
  server.on('drop', () => {
    dropped += 1;
    if (Date.now() - loggedAt < DROP_LOG_PERIOD_MS) return;
    logger.warn({ dropped, maxConnections: limits.maxConnections }, 'refused connections past the cap');
    loggedAt = Date.now();
    dropped = 0;
  });
  return server;
}
