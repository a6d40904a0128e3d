/**
 * Refuses what a web page in the person's browser could send to a local endpoint that has no token (the SMS
 * endpoint: apps and curl post to it, so it cannot ask for one). A page may send a cross-site POST without any
 * CORS preflight only as a "simple" request: a form (urlencoded, multipart, text/plain) or a body with no
 * content type. It may also reach us under its own name after DNS rebinding. So a request is acted on only when
 * - its Host is a loopback name (a rebound page sends its own name),
 * - it carries no foreign Origin and no Sec-Fetch-Site other than same-origin/none (browsers add both),
 * - its body is JSON declared as `application/json`, which a page can only send after a preflight we never
 *   answer; or a Twilio-style form with an Authorization header, which a page cannot add without a preflight
 *   either (and a browser never adds one by itself: we never answer 401 with a challenge).
 * The header checks catch today's browsers; the content-type rule holds even for one that sends neither header.
 * Formats: Fetch standard, "CORS-safelisted request-header" and "CORS protocol" (https://fetch.spec.whatwg.org/),
 * Sec-Fetch-Site (https://w3c.github.io/webappsec-fetch-metadata/), Twilio's Messages API takes form posts with
 * HTTP Basic auth (https://www.twilio.com/docs/messaging/api/message-resource).
 */
import type { IncomingHttpHeaders } from 'node:http';

export type BodyKind = 'json' | 'form';

export interface Refusal {
  readonly status: 403 | 415;
  /** For the client: what was refused and what to send instead. */
  readonly detail: string;
  /** For the log: which rule refused it. */
  readonly rule: 'host' | 'origin' | 'fetch-site' | 'content-type' | 'form-without-authorization';
}

/** The body kind to parse, or why the request must be refused. `port` is the port we listen on. */
export function checkLocalRequest(headers: IncomingHttpHeaders, port: number): BodyKind | Refusal {
  const host = (headers.host ?? '').toLowerCase();
  if (!isLoopbackHost(host, port)) {
    return refuse(403, 'host', `Forbidden: this endpoint answers to 127.0.0.1, localhost and [::1] only (Host: ${host === '' ? 'none' : JSON.stringify(host)})`);
  }
  const origin = headers.origin;
  if (origin !== undefined && !isLoopbackOrigin(origin.toLowerCase(), port)) {
    return refuse(403, 'origin', `Forbidden: a web page (Origin: ${origin}) may not post here; local programs send no Origin header`);
  }
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return refuse(403, 'fetch-site', `Forbidden: a ${site} request from a web page may not post here`);
  }
  const type = (headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'application/json') return 'json';
  if (type === 'application/x-www-form-urlencoded') {
    if (headers.authorization !== undefined) return 'form';
    return refuse(403, 'form-without-authorization',
      'A form post needs an Authorization header (any credentials, as Twilio clients send: curl -u x:x ...), since any web page can post a form here; or send JSON with content-type: application/json');
  }
  return refuse(415, 'content-type', `Send JSON with content-type: application/json (got ${type === '' ? 'no content type' : type})`);
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

/** A loopback name, with our port or none (HTTP/1.1 clients name the port; a rebound page names its own host). */
function isLoopbackHost(host: string, port: number): boolean {
  return LOOPBACK_NAMES.some((name) => host === name || host === `${name}:${port}`);
}

function isLoopbackOrigin(origin: string, port: number): boolean {
  return LOOPBACK_NAMES.some((name) => origin === `http://${name}:${port}`);
}

function refuse(status: Refusal['status'], rule: Refusal['rule'], detail: string): Refusal {
  return { status, rule, detail };
}
