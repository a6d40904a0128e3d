/**
 * The dashboard's message view in a real headless Chromium: a worktree's messages from the fake Ravi
 * server and from the local provider's real SMTP server, newest first; a hostile HTML mail that stays
 * inert text; links listed as text; the same access rules as every page; no accessibility violations.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { parse } from 'dotenv';
import type { Browser, Page } from 'playwright-core';
import { cleanupTempDirs, createRepo, createTempDir, type TestRepo } from '../support/git-fixtures.js';
import { writeRaviTeamConfig } from '../support/ravi-team-config.js';
import { runBuiltCli } from '../support/cli.js';
import { killAllDaemons, readJsonFile, startDaemonProcess, waitFor } from '../support/daemon-process.js';
import { startDashboardProcess, stopAllDashboards, type DashboardProcess } from '../support/dashboard-process.js';
import { axeViolations, launchBrowser, openPage, rawRequest } from '../support/browser.js';
import { startFakeRaviServer, type FakeRaviServer } from '../support/fake-ravi-server.js';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await stopAllDashboards();
  await killAllDaemons();
  await cleanupTempDirs();
});

const VERIFY_URL = 'https://app.example.test/verify?token=Zx81kq0pLm27abcd&u=7';
const HOSTILE_HTML = `<html><head><title>t</title></head><body>
<p>Hello <b>agent</b>, confirm your address.</p>
<script>document.title = 'pwned-script'; window.__pwned = 1;</script>
<img src="https://tracker.example.test/open.gif" onerror="document.title = 'pwned-onerror'; window.__pwned = 2">
<img src="x" onerror="document.title = 'pwned-onerror'; window.__pwned = 3">
<p><a href="${VERIFY_URL.replace('&', '&amp;')}">Verify your email</a> · <a href="javascript:alert(1)">win a prize</a></p>
</body></html>`;

/** Watches a page for anything a rendered message could do: script, dialogs, requests off the dashboard. */
function watchForEscapes(page: Page, origin: string): { dialogs: string[]; foreignRequests: string[] } {
  const seen = { dialogs: [] as string[], foreignRequests: [] as string[] };
  page.on('dialog', (dialog) => {
    seen.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('request', (request) => {
    if (!request.url().startsWith(origin)) seen.foreignRequests.push(request.url());
  });
  return seen;
}

describe('message view on the Ravi provider (fake server)', () => {
  let server: FakeRaviServer;
  let repo: TestRepo;
  let home: string;
  let dashboard: DashboardProcess;
  let agentA: string;
  const VAULT_SECRET = 'sk_live_message_view_never_9931';
  const ids = { plain: '', sms: '', hostile: '', other: '' };
  const auth = () => ({ host: new URL(dashboard.origin).host, authorization: `Bearer ${dashboard.token}` });

  beforeAll(async () => {
    server = await startFakeRaviServer();
    repo = await createRepo({ name: 'inbox' });
    home = await createTempDir('ravi-messages-remote-');
    await writeRaviTeamConfig(server, repo.path, home, { secrets: { STRIPE_KEY: VAULT_SECRET } });
    agentA = await repo.addWorktree('agent-a');
    await repo.addWorktree('agent-b');
    expect((await runBuiltCli(['reconcile'], { cwd: repo.path, home })).exitCode).toBe(0);
    const a = server.identities().find((i) => i.name === 'ws-inbox-agent-a')?.uuid as string;
    const b = server.identities().find((i) => i.name === 'ws-inbox-agent-b')?.uuid as string;
    // Added out of order: the view sorts by time received, email and SMS together. All arrive during the lease.
    const at = (minute: number) => new Date(Date.now() + minute * 60_000).toISOString();
    ids.hostile = String(server.addEmail(a, { subject: 'Confirm your address', from_email: 'no-reply@app.example.test', text_content: 'Confirm: https://app.example.test/help/confirm', html_content: HOSTILE_HTML, created_dt: at(3) }).id);
    ids.plain = String(server.addEmail(a, { subject: 'Welcome aboard', text_content: 'Your code is 246810.', created_dt: at(1) }).id);
    ids.sms = String(server.addSms(a, { body: '777888 is your Acme code', from_number: '+15550001111', created_dt: at(2) }).id);
    ids.other = String(server.addEmail(b, { subject: 'For agent b only', text_content: 'b-secret-code 135790', created_dt: at(4) }).id);
    dashboard = await startDashboardProcess({ cwd: repo.path, home });
  });
  afterAll(async () => {
    await dashboard?.stop();
    await server?.close();
  });

  it("lists a worktree's email and SMS from its row, newest first, and only its own", async () => {
    const page = await openPage(browser, dashboard.url);
    await page.getByRole('link', { name: /Messages of .*agent-a$/ }).click();
    expect(new URL(page.url()).pathname).toBe('/messages');
    expect(await page.locator('h1').innerText()).toBe('Messages of ws-inbox-agent-a');
    const rows = page.locator('table.messages tbody tr');
    expect(await rows.evaluateAll((trs) => trs.map((tr) => `${tr.getAttribute('data-kind')}:${tr.getAttribute('data-id')}`))).toEqual([
      `email:${ids.hostile}`,
      `sms:${ids.sms}`,
      `email:${ids.plain}`,
    ]);
    const text = await page.locator('table.messages').innerText();
    expect(text).toContain('SMS: 777888 is your Acme code');
    expect(text).not.toContain('For agent b only');
    await page.getByRole('link', { name: 'Welcome aboard' }).click();
    expect(await page.locator('pre.message-text').innerText()).toBe('Your code is 246810.');
    await page.context().close();
  });

  it('shows an HTML mail with a <script> and onerror images as inert text, its links listed as text', async () => {
    const page = await openPage(browser, dashboard.url);
    const escapes = watchForEscapes(page, dashboard.origin);
    await page.goto(`${dashboard.origin}/messages?worktree=${encodeURIComponent(agentA)}`);
    const response = page.waitForResponse((r) => new URL(r.url()).pathname === '/message');
    await page.getByRole('link', { name: 'Confirm your address' }).click();
    expect((await response).headers()['content-security-policy']).toContain("script-src 'self'");
    await page.waitForLoadState('load');
    // Nothing of the mail ran or loaded: no element, no handler, no title change, no request, no dialog.
    expect(await page.title()).toBe('Confirm your address · ravi-orchestrator');
    expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('main img, main script, main iframe, [onerror]').count()).toBe(0);
    expect(await page.locator('main a[href*="example.test"], main a[href^="javascript"]').count()).toBe(0);
    expect(escapes).toEqual({ dialogs: [], foreignRequests: [] });
    // What a reader would see, and the source as escaped text.
    expect(await page.locator('pre.message-html-text').innerText()).toBe('Hello agent, confirm your address.\nVerify your email · win a prize');
    await page.getByText('HTML source (shown as text, never rendered)').click();
    const source = await page.locator('pre.message-html-source').innerText();
    expect(source).toContain("<script>document.title = 'pwned-script'; window.__pwned = 1;</script>");
    expect(source).toContain('onerror="document.title');
    // Links: the http(s) ones, as text; javascript: is not a link worth listing.
    const links = await page.locator('ul.links li code').allInnerTexts();
    expect(links).toEqual([VERIFY_URL, 'https://app.example.test/help/confirm']);
    expect(await page.locator('ul.links').innerText()).toContain('(Verify your email)');
    await page.context().close();
  });

  it("reads without marking anything read, and never another identity's message", async () => {
    const forged = await rawRequest(dashboard.origin, { path: `/message?worktree=${encodeURIComponent(agentA)}&kind=email&id=${ids.other}`, headers: auth() });
    expect(forged.status).toBe(404);
    expect(forged.body).not.toContain('For agent b only');
    expect(forged.body).not.toContain('135790');
    const unknown = await rawRequest(dashboard.origin, { path: `/messages?worktree=${encodeURIComponent('/no/such/worktree')}`, headers: auth() });
    expect(unknown.status).toBe(404);
    const mainRepo = await rawRequest(dashboard.origin, { path: `/messages?worktree=${encodeURIComponent(repo.path)}`, headers: auth() });
    expect(mainRepo.status).toBe(404); // the main worktree holds no identity
    expect(server.calls.filter((c) => c.method !== 'GET' && /messages/.test(c.path))).toEqual([]);
  });

  it('refuses the message view without the token or from a foreign host, and shows no secret', async () => {
    const host = new URL(dashboard.origin).host;
    const paths = [`/messages?worktree=${encodeURIComponent(agentA)}`, `/message?worktree=${encodeURIComponent(agentA)}&kind=email&id=${ids.plain}`];
    for (const path of paths) {
      const anonymous = await rawRequest(dashboard.origin, { path, headers: { host } });
      expect(anonymous.status, path).toBe(401);
      expect(anonymous.body).not.toContain('Welcome aboard');
      const wrong = await rawRequest(dashboard.origin, { path, headers: { host, authorization: `Bearer ${dashboard.token.slice(0, -2)}xx` } });
      expect(wrong.status, path).toBe(401);
      const rebound = await rawRequest(dashboard.origin, { path, headers: { ...auth(), host: 'evil.example' } });
      expect(rebound.status, path).toBe(403);
      const ok = await rawRequest(dashboard.origin, { path, headers: auth() });
      expect(ok.status, path).toBe(200);
      expect(ok.headers['content-security-policy']).toContain("default-src 'none'");
      expect(ok.body).not.toContain(VAULT_SECRET);
      expect(ok.body).not.toContain(server.managementKey);
      const scoped = JSON.parse(await readFile(join(agentA, '.ravi', 'config.json'), 'utf8')) as Record<string, unknown>;
      for (const value of Object.values(scoped)) if (typeof value === 'string' && /^ravi_id_/.test(value)) expect(ok.body).not.toContain(value);
    }
    const posted = await rawRequest(dashboard.origin, { path: paths[0] as string, method: 'POST', headers: auth() });
    expect(posted.status).toBe(405);
  });

  it('has no accessibility violations (axe) on the list and on a message, light and dark', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      for (const path of [`/messages?worktree=${encodeURIComponent(agentA)}`, `/message?worktree=${encodeURIComponent(agentA)}&kind=email&id=${ids.hostile}`]) {
        const page = await openPage(browser, dashboard.url, { colorScheme });
        await page.goto(`${dashboard.origin}${path}`);
        expect((await axeViolations(page)).map((v) => `${colorScheme} ${path.split('?')[0]}: ${v}`)).toEqual([]);
        await page.context().close();
      }
    }
  });
});

describe('message view on the local provider (served by the daemon)', () => {
  it('shows a mail that arrived over SMTP and an SMS, in the worktree that owns them', async () => {
    const repo = await createRepo({ name: 'localbox' });
    const home = await createTempDir('ravi-messages-local-');
    await writeFile(
      join(repo.path, 'ravi-orchestrator.config.json'),
      JSON.stringify({ dashboard: { enabled: true, port: 0 }, mail: { smtpPort: 0, smsPort: 0 }, orphans: { grace: 0 } }),
    );
    const worktree = await repo.addWorktree('feat/mail');
    const daemon = startDaemonProcess({ cwd: repo.path, home });
    const status = await waitFor(async () => {
      const s = await readJsonFile<{ pid: number; state: string; mail: { smtp: string } | null; dashboard?: { url: string } }>(join(home, 'state', 'daemon-status.json'));
      return s?.pid === daemon.pid && s.state === 'running' && s.mail !== null && s.dashboard !== undefined ? s : null;
    }, 'the daemon with its mail servers and dashboard');
    const env = await waitFor(async () => {
      const parsed = parse(await readFile(join(worktree, '.env'), 'utf8').catch(() => ''));
      return parsed.AGENT_EMAIL !== undefined && parsed.AGENT_PHONE !== undefined ? parsed : null;
    }, 'the worktree .env');
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: Number(status.mail?.smtp.split(':').at(-1)), secure: false, ignoreTLS: true });
    try {
      await transport.sendMail({ from: 'Acme <no-reply@acme.test>', to: env.AGENT_EMAIL, subject: 'Local welcome', text: 'Sign in: https://acme.test/login?t=9f8e7d6c5b4a39281706', html: '<p>Sign in <a href="https://acme.test/login?t=9f8e7d6c5b4a39281706">here</a></p><img src=x onerror="window.__pwned=1">' });
    } finally {
      transport.close();
    }
    const sms = await runBuiltCli(['sms', 'deliver', '--to', env.AGENT_PHONE as string, '--from', '+15550002222', '--body', 'G-774411 is your code'], { cwd: repo.path, home });
    expect(sms.exitCode, sms.stderr).toBe(0);

    const page = await openPage(browser, status.dashboard?.url as string);
    await page.getByRole('link', { name: /Messages of .*feat\/mail$/ }).click();
    const rows = page.locator('table.messages tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.nth(0).innerText()).toContain('SMS: G-774411 is your code'); // delivered last
    expect(await rows.nth(1).innerText()).toContain('Local welcome');
    await page.getByRole('link', { name: 'Local welcome' }).click();
    expect(await page.locator('pre.message-html-text').innerText()).toBe('Sign in here');
    expect(await page.locator('ul.links li code').allInnerTexts()).toEqual(['https://acme.test/login?t=9f8e7d6c5b4a39281706']);
    expect(await page.locator('main img, [onerror]').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    await page.context().close();
    expect(await daemon.stop()).toBe(0);
  });
});
