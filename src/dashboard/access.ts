/**
 * Who may talk to the dashboard: whoever holds the random token from the printed link. The link's token
 * becomes an HttpOnly, SameSite=Strict cookie named after the port (cookies ignore ports, and two
 * dashboards on one machine must not overwrite each other's). Forms also carry a CSRF value derived from
 * the token, and the Host header must be a loopback name, which stops DNS-rebinding pages from reading it.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export class DashboardAccess {
  readonly #token: Buffer;
  readonly csrf: string;
  readonly cookieName: string;
  readonly #hosts: ReadonlySet<string>;
  readonly origin: string;

  constructor(token: string, port: number) {
    this.#token = Buffer.from(token);
    this.csrf = createHmac('sha256', token).update('csrf').digest('base64url');
    this.cookieName = `ravi_dashboard_${port}`;
    this.#hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
    this.origin = `http://127.0.0.1:${port}`;
  }

  /** A loopback Host header; anything else is a rebinding attempt or a misrouted request. */
  hostAllowed(request: IncomingMessage): boolean {
    return this.#hosts.has((request.headers.host ?? '').toLowerCase());
  }

  /** The token from the cookie or an `Authorization: Bearer` header. */
  authenticated(request: IncomingMessage): boolean {
    const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    return this.matches(bearer ?? readCookie(request.headers.cookie, this.cookieName));
  }

  matches(candidate: string | null | undefined): boolean {
    if (candidate == null) return false;
    const given = Buffer.from(candidate);
    return given.length === this.#token.length && timingSafeEqual(given, this.#token);
  }

  csrfMatches(candidate: string | null | undefined): boolean {
    if (candidate == null) return false;
    const given = Buffer.from(candidate);
    const wanted = Buffer.from(this.csrf);
    return given.length === wanted.length && timingSafeEqual(given, wanted);
  }

  /** A browser names the page a form was sent from; a different origin is a cross-site request. */
  sameOrigin(request: IncomingMessage): boolean {
    const origin = request.headers.origin;
    if (origin === undefined || origin === 'null') return origin === undefined;
    return [...this.#hosts].some((host) => origin === `http://${host}`);
  }

  cookie(token: string): string {
    return `${this.cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`;
  }
}

function readCookie(header: string | undefined, name: string): string | null {
  if (header === undefined) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}
