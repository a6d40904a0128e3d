/**
 * The dashboard's HTTP server: 127.0.0.1 only, token required (see access.ts), HTML rendered on the
 * server, live updates over server-sent events, a read-only view of each worktree's messages
 * (message-routes.ts), two actions (reconcile now, release an identity) behind POST forms with a CSRF
 * value. Responses forbid framing, inline script and cross-site referrers (the
 * link carries the token, so the page must never leak its URL).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../util/logger.js';
import { createLimitedHttpServer, DASHBOARD_LIMITS } from '../util/connection-limits.js';
import { letMemoryReducerSeeIdle } from '../util/memory-reducer.js';
import { DashboardAccess, newToken } from './access.js';
import { DASHBOARD_CSS, DASHBOARD_JS } from './assets.js';
import { LiveView } from './live-view.js';
import { MESSAGE_PATHS, messagePage, type ReadMessages } from './message-routes.js';
import { renderMessagePage, renderPage, renderReleaseConfirm, type PageOptions } from './render.js';
import type { DashboardSnapshot, DashboardWorktree } from './snapshot.js';
import { SseHub } from './sse.js';

export interface DashboardActions {
  /** Runs (or queues) a reconcile of every repo; resolves with what to tell the person. */
  reconcile(): Promise<string>;
  /** Releases the identity of this worktree now; resolves with what to tell the person. */
  release(worktree: string): Promise<string>;
}

export interface DashboardServerOptions {
  /** 0 picks a free port. */
  readonly port: number;
  /** @default a new random token */
  readonly token?: string;
  readonly collect: () => Promise<DashboardSnapshot>;
  readonly actions: DashboardActions;
  /** The messages a worktree's row may show (its "Messages" page). */
  readonly messages: ReadMessages;
  readonly logger: Logger;
}

export interface DashboardServer {
  /** The link to open: it carries the token. */
  readonly url: string;
  readonly port: number;
  /**
   * Something changed (a watcher fired): re-read and push to open pages if the view differs. With no page
   * open it only marks the view stale (a page load reads afresh anyway): an idle daemon calls no API for it.
   */
  refresh(): Promise<void>;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';
const MAX_FORM_BYTES = 16 * 1024;
const NOTICE_TTL_MS = 60_000;

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // same-origin, not no-referrer: with no-referrer Chromium sends `Origin: null` on our own form posts,
  // which the origin check must refuse. Other sites never get a referrer (and the token left the URL anyway).
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
} as const;

export async function startDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  const token = options.token ?? newToken();
  const hub = new SseHub();
  const view = new LiveView(options.collect, hub, options.logger);
  const notices = new Map<string, NonNullable<PageOptions['notice']>>();
  let access: DashboardAccess | null = null;

  const server: Server = createLimitedHttpServer(DASHBOARD_LIMITS, options.logger, (request, response) => {
    if (access === null) return void response.destroy();
    response.once('finish', letMemoryReducerSeeIdle); // the page is out; the dashboard idles (memory-reducer.ts)
    handle(request, response, access).catch((error: unknown) => {
      options.logger.error({ err: error, path: request.url }, 'dashboard request failed');
      if (!response.headersSent) send(response, 500, 'text/html', renderMessagePage('Something went wrong', (error as Error).message));
      else response.end();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse, access: DashboardAccess): Promise<void> {
    if (!access.hostAllowed(request)) return send(response, 403, 'text/plain', 'Forbidden: this dashboard answers to 127.0.0.1 and localhost only.\n');
    const url = new URL(request.url ?? '/', access.origin);
    const route = `${request.method ?? 'GET'} ${url.pathname}`;
    // Static assets hold no data; serving them without the token lets the 401 page be readable too.
    if (route === 'GET /app.css') return send(response, 200, 'text/css', DASHBOARD_CSS);
    if (route === 'GET /app.js') return send(response, 200, 'text/javascript', DASHBOARD_JS);
    if (route === 'GET /favicon.ico') return void response.writeHead(204, SECURITY_HEADERS).end();

    if (route === 'GET /' && url.searchParams.has('token')) {
      if (!access.matches(url.searchParams.get('token'))) return unauthorized(response);
      // Trade the token in the address bar for a cookie, so it leaves the URL (and the history) at once.
      response.setHeader('set-cookie', access.cookie(token));
      return redirect(response, '/');
    }
    if (!access.authenticated(request)) return unauthorized(response);

    switch (route) {
      case 'GET /': {
        const notice = takeNotice(url.searchParams.get('notice'));
        return send(response, 200, 'text/html', renderPage(await view.fresh(), { csrf: access.csrf, notice }));
      }
      case 'GET /events': {
        await view.latest();
        const first = view.update();
        return hub.open(response, first === null ? undefined : { event: 'update', data: first });
      }
      case 'GET /api/state':
        return send(response, 200, 'application/json', `${JSON.stringify(await view.fresh(), null, 2)}\n`);
      case 'GET /release': {
        const row = releasable(await view.fresh(), url.searchParams.get('worktree'));
        if (row === null) return send(response, 404, 'text/html', renderMessagePage('Nothing to release', 'That worktree has no identity this dashboard can release (it may be gone already).'));
        return send(response, 200, 'text/html', renderReleaseConfirm(row, access.csrf));
      }
      case 'GET /messages':
      case 'GET /message': {
        const page = await messagePage(url.pathname, url.searchParams, await view.fresh(), options.messages, options.logger);
        return send(response, page.status, 'text/html', page.html);
      }
      case 'POST /actions/reconcile':
      case 'POST /actions/release':
        return await act(request, response, access, url.pathname);
      default:
        if (['/', '/events', '/api/state', '/release', ...MESSAGE_PATHS, '/actions/reconcile', '/actions/release'].includes(url.pathname)) {
          response.setHeader('allow', url.pathname.startsWith('/actions/') ? 'POST' : 'GET');
          return send(response, 405, 'text/plain', 'Method not allowed\n');
        }
        return send(response, 404, 'text/html', renderMessagePage('Not found', `Nothing lives at ${url.pathname}.`));
    }
  }

  async function act(request: IncomingMessage, response: ServerResponse, access: DashboardAccess, path: string): Promise<void> {
    const form = await readForm(request);
    if (form === null) return send(response, 413, 'text/plain', 'Form too large\n');
    if (!access.sameOrigin(request) || !access.csrfMatches(form.get('csrf'))) {
      return send(response, 403, 'text/plain', 'Forbidden: the form did not come from this dashboard.\n');
    }
    let notice: NonNullable<PageOptions['notice']>;
    try {
      if (path === '/actions/reconcile') notice = { kind: 'ok', text: await options.actions.reconcile() };
      else {
        // Only a worktree the page offers: a forged path must not release anything else.
        const row = releasable(await view.fresh(), form.get('worktree'));
        if (row === null) notice = { kind: 'error', text: 'Nothing released: that worktree has no identity to release.' };
        else notice = { kind: 'ok', text: await options.actions.release(row.worktree as string) };
      }
    } catch (error) {
      notice = { kind: 'error', text: (error as Error).message };
    }
    await view.refresh();
    const id = randomUUID();
    notices.set(id, notice);
    setTimeout(() => notices.delete(id), NOTICE_TTL_MS).unref();
    redirect(response, `/?notice=${id}`);
  }

  function takeNotice(id: string | null): PageOptions['notice'] {
    if (id === null) return null;
    const notice = notices.get(id) ?? null;
    notices.delete(id);
    return notice;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  access = new DashboardAccess(token, port);
  options.logger.info({ port }, 'dashboard listening');
  letMemoryReducerSeeIdle();

  return {
    url: `http://${HOST}:${port}/?token=${token}`,
    port,
    refresh: () => {
      if (hub.size > 0) return view.refresh();
      view.markStale();
      return Promise.resolve();
    },
    async close() {
      hub.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The row of a worktree whose identity the dashboard offers to release, or null. */
function releasable(snapshot: DashboardSnapshot, worktree: string | null | undefined): DashboardWorktree | null {
  if (worktree == null || worktree === '') return null;
  for (const repo of snapshot.repos) {
    const row = repo.worktrees.find((w) => w.worktree === worktree);
    if (row !== undefined) return row.managed && row.identity !== null && row.env !== 'released' ? row : null;
  }
  return null;
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { ...SECURITY_HEADERS, 'content-type': `${type}; charset=utf-8`, 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

function redirect(response: ServerResponse, location: string): void {
  response.writeHead(303, { ...SECURITY_HEADERS, location });
  response.end();
}

function unauthorized(response: ServerResponse): void {
  send(
    response,
    401,
    'text/html',
    renderMessagePage('Access token needed', 'Open the link that `ravi-orchestrator dashboard` printed: it carries the access token for this session.'),
  );
}

async function readForm(request: IncomingMessage): Promise<URLSearchParams | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
