/**
 * Issue 13.8: the daemon's loopback servers (SMTP, SMS endpoint, dashboard) cap concurrent connections and cut
 * off silent or trickling clients. With their real default caps: many real sockets fill the cap, every one past
 * it is closed at once, those within it are served, and a normal client gets in again once some leave.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTransport } from 'nodemailer';
import { pino } from 'pino';
import { startDashboardServer } from '../../src/dashboard/server.js';
import type { DashboardSnapshot } from '../../src/dashboard/snapshot.js';
import { createInboxStore } from '../../src/mail/inbox-store.js';
import { startSmsEndpoint } from '../../src/mail/sms-endpoint.js';
import { SMTP_LIMITS, startSmtpServer } from '../../src/mail/smtp-server.js';
import { DASHBOARD_LIMITS, SMS_LIMITS, type ConnectionLimits } from '../../src/util/connection-limits.js';
import { waitFor } from '../support/daemon-process.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const UUID = '00000000-0000-4000-8000-000000000001';
const AGENT_EMAIL = 'ws-app-x@agents.localhost';
const AGENT_PHONE = '+12015550100';
const silent = pino({ level: 'silent' });

async function newStore() {
  const stateDir = await mkdtemp(join(tmpdir(), 'conn-limits-'));
  cleanups.push(() => rm(stateDir, { recursive: true, force: true }));
  return createInboxStore(stateDir);
}

/** A client socket that records what it was told and whether it was closed. */
interface Held {
  readonly socket: Socket;
  said: string;
  closed: boolean;
}

/** Opens `count` sockets one after another (so the server accepts them in this order) and keeps them open. */
async function hold(port: number, count: number): Promise<Held[]> {
  const held: Held[] = [];
  for (let i = 0; i < count; i += 1) {
    const socket = connect(port, '127.0.0.1');
    const entry: Held = { socket, said: '', closed: false };
    socket.on('data', (chunk: Buffer) => void (entry.said += chunk.toString('utf8')));
    socket.on('error', () => undefined); // a refused socket may see ECONNRESET
    socket.on('close', () => void (entry.closed = true));
    await once(socket, 'connect');
    held.push(entry);
  }
  cleanups.push(() => held.forEach((h) => h.socket.destroy()));
  return held;
}

/** One HTTP/1.1 request on a held socket; resolves with its status code. */
function requestOn(entry: Held, port: number): Promise<number> {
  entry.socket.write(`GET /nothing-here HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
  return waitFor(() => Number(/^HTTP\/1\.1 (\d{3})/.exec(entry.said)?.[1] ?? 0) || null, 'a response on a held connection');
}

describe('SMTP server', () => {
  it(`serves ${SMTP_LIMITS.maxConnections} sessions at once, answers 421 and closes the rest, and lets a sender in once some leave`, async () => {
    const store = await newStore();
    const smtp = await startSmtpServer({ port: 0, store, logger: silent, resolveRecipient: async (a) => (a === AGENT_EMAIL ? UUID : null) });
    cleanups.push(() => smtp.close());
    const cap = SMTP_LIMITS.maxConnections;
    const held = await hold(smtp.port, cap + 16);
    const [within, past] = [held.slice(0, cap), held.slice(cap)];
    await waitFor(() => past.every((h) => h.closed), 'every session past the cap closed');
    for (const h of past) expect(h.said).toMatch(/^421 .*Too many connected clients/);
    await waitFor(() => within.every((h) => h.said.startsWith('220 ')), 'a greeting on every session within the cap');
    expect(within.some((h) => h.closed)).toBe(false);

    for (const h of within.slice(0, 4)) h.socket.destroy();
    const send = () => {
      const transport = createTransport({ host: '127.0.0.1', port: smtp.port, secure: false, ignoreTLS: true });
      return transport.sendMail({ from: 'a@example.com', to: AGENT_EMAIL, subject: 'after', text: 'hi' }).finally(() => transport.close());
    };
    // The server learns of the four closes asynchronously: retry until a session is admitted.
    await waitFor(() => send().then(() => true, () => false), 'a sender admitted after others left');
    expect((await store.listEmails(UUID)).map((m) => m.subject)).toEqual(['after']);
  });

  it('closes a session that stays silent past the idle timeout', async () => {
    const store = await newStore();
    const smtp = await startSmtpServer({ port: 0, store, logger: silent, resolveRecipient: async () => null, limits: { maxConnections: 4, idleTimeoutMs: 200 } });
    cleanups.push(() => smtp.close());
    const [silentClient] = await hold(smtp.port, 1);
    await waitFor(() => silentClient!.closed, 'the silent session closed');
    expect(silentClient!.said).toMatch(/^220 .*\r\n421 .*Timeout/);
  });
});

describe('SMS endpoint', () => {
  it(`serves ${SMS_LIMITS.maxConnections} connections at once, closes the rest on arrival, and lets a client in once some leave`, async () => {
    const store = await newStore();
    const sms = await startSmsEndpoint({ port: 0, store, logger: silent, resolveNumber: async (n) => (n === AGENT_PHONE ? UUID : null) });
    cleanups.push(() => sms.close());
    await expectCapHolds(sms.port, SMS_LIMITS, 404);
    const post = async () => fetch(`http://127.0.0.1:${sms.port}/sms`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: AGENT_PHONE, body: 'after' }),
    }).then((r) => r.status);
    await waitFor(() => admitted(sms.port), 'a connection admitted after others left');
    expect(await post()).toBe(201);
    expect((await store.listSms(UUID)).map((m) => m.body)).toEqual(['after']);
  });

  it('closes a silent connection (idle timeout) and one trickling its headers (headers timeout, 408)', async () => {
    const store = await newStore();
    const limits: ConnectionLimits = { maxConnections: 4, idleTimeoutMs: 200, headersTimeoutMs: 300, requestTimeoutMs: 600 };
    const sms = await startSmsEndpoint({ port: 0, store, logger: silent, resolveNumber: async () => null, limits });
    cleanups.push(() => sms.close());
    const [quiet, trickler] = await hold(sms.port, 2);
    trickler!.socket.write(`POST /sms HTTP/1.1\r\nHost: 127.0.0.1:${sms.port}\r\nX-Slow: `);
    const drip = setInterval(() => trickler!.socket.writable && trickler!.socket.write('x'), 20); // every 20 ms: never idle
    cleanups.push(() => clearInterval(drip));
    await waitFor(() => quiet!.closed && trickler!.closed, 'both slow clients closed');
    expect(trickler!.said).toMatch(/^HTTP\/1\.1 408 /);
  });
});

describe('dashboard server', () => {
  it(`serves ${DASHBOARD_LIMITS.maxConnections} connections at once and closes the rest on arrival`, async () => {
    const snapshot: DashboardSnapshot = {
      generatedAt: new Date(0).toISOString(), provider: 'local', stateDir: '/nowhere', problems: [], audit: [], repos: [], pool: [],
      daemon: { running: false, pid: null, state: null, configError: null },
    };
    const dashboard = await startDashboardServer({
      port: 0, logger: silent, collect: async () => snapshot,
      actions: { reconcile: async () => 'ok', release: async () => 'ok' }, messages: async () => null,
    });
    cleanups.push(() => dashboard.close());
    await expectCapHolds(dashboard.port, DASHBOARD_LIMITS, 401); // no token: answered, not dropped
    await waitFor(() => admitted(dashboard.port), 'a connection admitted after others left');
    // The link trades its token for a cookie: 303 to the page.
    expect((await fetch(dashboard.url, { redirect: 'manual' })).status).toBe(303);
  });
});

/**
 * Whether a new connection is served: the server learns of closed connections asynchronously, and a client
 * dropped at the cap may hang (undici's fetch does on a POST) rather than fail, so probe with a raw GET first.
 */
async function admitted(port: number): Promise<boolean> {
  const [probe] = await hold(port, 1);
  probe!.socket.write(`GET /probe HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
  await once(probe!.socket, 'close');
  return probe!.said.startsWith('HTTP/1.1 ');
}

/** Fills the cap with held sockets plus 16: those past it close, those within it are served; then 4 leave. */
async function expectCapHolds(port: number, limits: ConnectionLimits, status: number): Promise<void> {
  const cap = limits.maxConnections;
  const held = await hold(port, cap + 16);
  const [within, past] = [held.slice(0, cap), held.slice(cap)];
  await waitFor(() => past.every((h) => h.closed), 'every connection past the cap closed');
  for (const h of past) expect(h.said).toBe(''); // Node closes them before reading a byte
  const statuses = await Promise.all(within.map((h) => requestOn(h, port)));
  expect(new Set(statuses)).toEqual(new Set([status]));
  expect(within.some((h) => h.closed)).toBe(false);
  for (const h of within.slice(0, 4)) h.socket.destroy();
}
