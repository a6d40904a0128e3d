/**
 * Issue 13.3 with a real browser: a page on another site (http://localhost:<port>, while the endpoints are on
 * 127.0.0.1) tries every way a page has to reach the SMS endpoint and the SMTP port. The requests do arrive (the
 * SMS endpoint logs each refusal; a recording relay in front of SMTP sees the HTTP head and the SMTP commands),
 * and no inbox gets anything. The same attacks written byte for byte are in sms-cross-site.test.ts and
 * smtp-cross-protocol.test.ts; this file proves the browser sends what those tests assume.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer as createHttpServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createTcpServer, connect, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { pino } from 'pino';
import { createInboxStore, type InboxStore } from '../../src/mail/inbox-store.js';
import { startSmsEndpoint } from '../../src/mail/sms-endpoint.js';
import { startSmtpServer, type RunningServer } from '../../src/mail/smtp-server.js';
import { launchBrowser } from '../support/browser.js';
import { waitFor } from '../support/daemon-process.js';

const UUID = '00000000-0000-4000-8000-000000000001';
const PHONE = '+12015550100';
const EMAIL = 'ws-app-x@agents.localhost';

let browser: Browser;
let stateDir: string;
let store: InboxStore;
let sms: RunningServer;
let smtp: RunningServer;
let relay: TcpServer;
let relayed = '';
let evil: Server;
let evilOrigin: string;
const logLines: string[] = [];

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'cross-site-browser-'));
  store = createInboxStore(stateDir);
  const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) });
  sms = await startSmsEndpoint({ port: 0, store, logger, resolveNumber: async (n) => (n === PHONE ? UUID : null) });
  smtp = await startSmtpServer({ port: 0, store, logger, resolveRecipient: async (a) => (a === EMAIL ? UUID : null) });
  // Records what the browser sends to the SMTP port, so the test knows the attack bytes arrived.
  relay = createTcpServer((client) => {
    const upstream = connect(smtp.port, '127.0.0.1');
    client.on('data', (chunk: Buffer) => void (relayed += chunk.toString('utf8')));
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  evil = createHttpServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(attackPage(request.url ?? '/'));
  });
  await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
  evilOrigin = `http://localhost:${port(evil)}`; // another site than 127.0.0.1
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await Promise.allSettled([sms?.close(), smtp?.close(), new Promise((r) => relay?.close(r)), new Promise((r) => evil?.close(r))]);
  relay?.unref();
  if (stateDir !== undefined) await rm(stateDir, { recursive: true, force: true });
});

function port(server: Server | TcpServer): number {
  return (server.address() as { port: number }).port;
}

const smsUrl = () => `http://127.0.0.1:${sms.port}/sms`;
const refusals = () => logLines.filter((l) => l.includes('refused an SMS request a web page could have sent')).length;

function attackPage(path: string): string {
  const json = JSON.stringify({ to: PHONE, from: '+15550001111', body: 'Your code is 999999 https://evil.example/verify' });
  if (path === '/scripts') {
    return `<!doctype html><title>loading</title><script>
      (async () => {
        const url = ${JSON.stringify(smsUrl())};
        const json = ${JSON.stringify(json)};
        const results = {};
        const attempt = async (name, init) => { try { await fetch(url, init); results[name] = 'sent'; } catch (e) { results[name] = 'blocked'; } };
        await attempt('no-cors text/plain', { method: 'POST', mode: 'no-cors', body: json });
        await attempt('no-cors form', { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'To=%2B12015550100&Body=999999' });
        await attempt('no-cors no type', { method: 'POST', mode: 'no-cors', body: new Blob([json]) });
        await attempt('cors json', { method: 'POST', headers: { 'content-type': 'application/json' }, body: json });
        results.beacon = navigator.sendBeacon(url, json) ? 'queued' : 'refused';
        document.title = 'done ' + JSON.stringify(results);
      })();
    </script>`;
  }
  if (path === '/form') {
    return `<!doctype html><form method="post" action="${smsUrl()}"><input name="To" value="${PHONE}"><input name="Body" value="999999"></form>
      <script>document.forms[0].submit()</script>`;
  }
  // SMTP commands in a text/plain form's field name: the body becomes "name=value" lines after the HTTP head.
  const commands = ['EHLO evil.example', 'MAIL FROM:<attacker@evil.example>', `RCPT TO:<${EMAIL}>`, 'DATA', 'Subject: Your code', '',
    'Your code is 999999', '.', 'QUIT', 'x'].join('\r\n');
  const attribute = commands.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll('\r', '&#13;').replaceAll('\n', '&#10;');
  return `<!doctype html><form method="post" action="http://127.0.0.1:${port(relay)}/" enctype="text/plain"><input type="hidden" name="${attribute}" value="y"></form>
    <script>document.forms[0].submit()</script>`;
}

describe('a page on another site, in Chromium', () => {
  it('cannot put an SMS into an inbox by fetch (no-cors or CORS) or sendBeacon', async () => {
    const page = await browser.newPage();
    try {
      const before = refusals();
      await page.goto(`${evilOrigin}/scripts`);
      await page.waitForFunction("document.title.startsWith('done')");
      const results = JSON.parse((await page.title()).slice('done '.length)) as Record<string, string>;
      expect(results['cors json']).toBe('blocked'); // the preflight (OPTIONS) is never answered with CORS headers
      // The three no-cors posts and the beacon reach the endpoint and are refused there.
      await waitFor(() => refusals() - before >= 4, 'four refusals logged');
      expect(await store.listSms(UUID)).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('cannot put an SMS into an inbox with an auto-submitted form', async () => {
    const page = await browser.newPage();
    try {
      const before = refusals();
      await page.goto(`${evilOrigin}/form`);
      await page.waitForURL(smsUrl());
      expect(await page.textContent('body')).toContain('Forbidden');
      expect(refusals() - before).toBe(1);
      expect(await store.listSms(UUID)).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('cannot deliver mail by posting a text/plain form full of SMTP commands to the SMTP port', async () => {
    const page = await browser.newPage();
    try {
      const failed = page.waitForEvent('requestfailed', (request) => request.url().startsWith(`http://127.0.0.1:${port(relay)}/`));
      await page.goto(`${evilOrigin}/smtp`);
      await failed; // the browser cannot read an SMTP reply as HTTP
      await waitFor(() => relayed.includes(`RCPT TO:<${EMAIL}>`), 'the SMTP commands at the SMTP port');
      expect(relayed).toMatch(/^POST \/ HTTP\/1\.1\r\n/);
      expect(await store.listEmails(UUID)).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
