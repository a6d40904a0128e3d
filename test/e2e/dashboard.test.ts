/**
 * The dashboard in a real headless Chromium, served by the real CLI process over real temp repos: what it
 * lists, live updates, the two actions, access control, and that no secret value ever reaches a browser.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { cleanupTempDirs, createRepo, createTempDir, type TestRepo } from '../support/git-fixtures.js';
import { writeRaviTeamConfig } from '../support/ravi-team-config.js';
import { runBuiltCli } from '../support/cli.js';
import { killAllDaemons, readJsonFile, startDaemonProcess, waitFor } from '../support/daemon-process.js';
import { startDashboardProcess, stopAllDashboards, type DashboardProcess } from '../support/dashboard-process.js';
import { axeViolations, launchBrowser, openPage, rawRequest } from '../support/browser.js';
import { startFakeRaviServer, type FakeRaviServer } from '../support/fake-ravi-server.js';
import { readLocalIdentities } from '../support/local-identities.js';

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

function openDashboard(dashboard: DashboardProcess, options: { javaScriptEnabled?: boolean; colorScheme?: 'light' | 'dark' } = {}): Promise<Page> {
  return openPage(browser, dashboard.url, options);
}

describe('dashboard on the local provider', () => {
  const SECRET = 'sk-dashboard-secret-value-4411';
  let repo: TestRepo;
  let home: string;
  let dashboard: DashboardProcess;
  const worktrees: string[] = [];
  const cli = (args: string[]) => runBuiltCli(args, { cwd: repo.path, home });
  const identities = async () => readLocalIdentities(join(home, 'state'));

  beforeAll(async () => {
    repo = await createRepo({ name: 'fleet' });
    home = await createTempDir('ravi-dashboard-home-');
    const set = await runBuiltCli(['secrets', 'set', 'OPENAI_API_KEY'], { cwd: repo.path, home, input: `${SECRET}\n` });
    expect(set.exitCode).toBe(0);
    await writeFile(
      join(repo.path, 'ravi-orchestrator.config.json'),
      JSON.stringify({ env: { secrets: ['OPENAI_API_KEY'] }, secrets: { vault: 'default' }, orphans: { grace: 0 }, mail: { enabled: false } }),
    );
    worktrees.push(await repo.addWorktree('feat/login'), await repo.addWorktree('fix/payments'));
    expect((await cli(['reconcile'])).exitCode).toBe(0);
    // The secret really is in the worktrees, so its absence from the page means something.
    expect(await readFile(join(worktrees[0] as string, '.env'), 'utf8')).toContain(SECRET);
    dashboard = await startDashboardProcess({ cwd: repo.path, home });
  });

  it('lists every worktree of the repo with its branch, identity, email and env state', async () => {
    const page = await openDashboard(dashboard);
    expect(new URL(page.url()).searchParams.has('token')).toBe(false); // traded for a cookie at once
    const ids = await identities();
    for (const worktree of worktrees) {
      const row = page.locator(`tr[data-worktree="${worktree}"]`);
      await expect.poll(() => row.count()).toBe(1);
      const email = ids.find((i) => row && i.name === (worktree.endsWith('login') ? 'ws-fleet-feat-login' : 'ws-fleet-fix-payments'))?.email;
      expect(email).toBeDefined();
      const text = await row.innerText();
      expect(text).toContain(email as string);
      expect(text).toContain(worktree.endsWith('login') ? 'feat/login' : 'fix/payments');
      expect(text).toContain('in sync');
    }
    await expect.poll(() => page.locator('table.audit tbody tr').count()).toBeGreaterThanOrEqual(4);
    expect(await page.locator('table.audit').innerText()).toContain('identity.created');
    await page.context().close();
  });

  it('updates live when a worktree is added and when it is reconciled', async () => {
    const page = await openDashboard(dashboard);
    const version = Number((await page.locator('body').getAttribute('data-version')) ?? 0);
    const added = await repo.addWorktree('feat/search');
    const row = page.locator(`tr[data-worktree="${added}"]`);
    // No reload: the row arrives over server-sent events.
    await waitFor(async () => (await row.count()) === 1, 'the new worktree row');
    expect(await row.innerText()).toContain('pending');
    expect(Number(await page.locator('body').getAttribute('data-version'))).toBeGreaterThan(version);
    expect((await cli(['reconcile'])).exitCode).toBe(0);
    await waitFor(async () => (await row.innerText()).includes('in sync'), 'the row to turn in sync');
    await waitFor(async () => (await page.locator('table.audit').innerText()).includes('ws-fleet-feat-search'), 'the audit row');
    await page.context().close();
  });

  it('reconciles from the button', async () => {
    const added = await repo.addWorktree('feat/button');
    const page = await openDashboard(dashboard);
    const row = page.locator(`tr[data-worktree="${added}"]`);
    await waitFor(async () => (await row.count()) === 1, 'the row');
    await page.getByRole('button', { name: 'Reconcile now' }).click();
    await expect.poll(() => page.locator('#notice').innerText()).toMatch(/Reconciled: 1 created/);
    expect(await row.innerText()).toContain('in sync');
    expect((await identities()).map((i) => i.name)).toContain('ws-fleet-feat-button');
    await page.context().close();
  });

  it('releases an identity only after confirmation', async () => {
    const target = worktrees[1] as string;
    const page = await openDashboard(dashboard);
    await page.getByRole('link', { name: /Release the identity of .*payments/ }).click();
    expect(new URL(page.url()).pathname).toBe('/release');
    await expect.poll(() => page.locator('h1').innerText()).toBe('Release ws-fleet-fix-payments?');
    // Cancel leaves everything as it was.
    await page.getByRole('link', { name: 'Cancel' }).click();
    expect((await identities()).map((i) => i.name)).toContain('ws-fleet-fix-payments');
    await page.getByRole('link', { name: /Release the identity of .*payments/ }).click();
    await page.getByRole('button', { name: 'Release ws-fleet-fix-payments' }).click();
    await expect.poll(() => page.locator('#notice').innerText()).toContain('Released ws-fleet-fix-payments to the pool');
    // The identity is not deleted: its lease ended and it rests in the pool.
    expect((await identities()).map((i) => i.name)).toContain('ws-fleet-fix-payments');
    expect(await page.locator(`tr[data-worktree="${target}"]`).innerText()).toContain('released');
    expect(await page.locator('table.audit').innerText()).toMatch(/lease\.ended[\s\S]*ws-fleet-fix-payments/);
    await expect.poll(() => page.locator('table.pool').innerText()).toMatch(/ws-fleet-fix-payments[\s\S]*quarantine until/);
    await page.context().close();
  });

  it('works without JavaScript: the tables are complete and the forms post', async () => {
    const page = await openDashboard(dashboard, { javaScriptEnabled: false });
    expect(await page.locator(`tr[data-worktree="${worktrees[0]}"]`).innerText()).toContain('in sync');
    await page.getByRole('button', { name: 'Reconcile now' }).click();
    expect(await page.locator('#notice').innerText()).toMatch(/Reconciled: 0 created, 0 updated, 0 deleted/);
    await page.context().close();
  });

  it('has no accessibility violations (axe) in light and dark mode', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const page = await openDashboard(dashboard, { colorScheme });
      expect((await axeViolations(page)).map((v) => `${colorScheme}: ${v}`)).toEqual([]);
      await page.context().close();
    }
  });

  it('never shows a secret value: page, live updates and the JSON state', async () => {
    const page = await openDashboard(dashboard);
    const events: string[] = [];
    page.on('response', (response) => void response.text().then((t) => events.push(t), () => {}));
    await repo.addWorktree('feat/secret-probe');
    expect((await cli(['reconcile'])).exitCode).toBe(0);
    await waitFor(async () => (await page.content()).includes('ws-fleet-feat-secret-probe'), 'the live update');
    expect(await page.content()).not.toContain(SECRET);
    const state = await rawRequest(dashboard.origin, { path: '/api/state', headers: { host: new URL(dashboard.origin).host, authorization: `Bearer ${dashboard.token}` } });
    expect(state.status).toBe(200);
    expect(state.body).toContain('ws-fleet-feat-secret-probe');
    expect(state.body).not.toContain(SECRET);
    expect(events.join('\n')).not.toContain(SECRET);
    expect(dashboard.output()).not.toContain(SECRET);
    await page.context().close();
  });

  it('refuses requests without the token, with a wrong token, from a foreign host or a foreign form', async () => {
    const host = new URL(dashboard.origin).host;
    const ok = await rawRequest(dashboard.origin, { path: '/api/state', headers: { host, authorization: `Bearer ${dashboard.token}` } });
    expect(ok.status).toBe(200);
    for (const path of ['/', '/api/state', '/events', '/release?worktree=x']) {
      const anonymous = await rawRequest(dashboard.origin, { path, headers: { host } });
      expect(anonymous.status, path).toBe(401);
      expect(anonymous.body).not.toContain('ws-fleet');
    }
    const wrong = await rawRequest(dashboard.origin, { path: `/?token=${dashboard.token.slice(0, -2)}xx`, headers: { host } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    // DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends its own Host.
    const rebound = await rawRequest(dashboard.origin, { path: '/api/state', headers: { host: 'evil.example', authorization: `Bearer ${dashboard.token}` } });
    expect(rebound.status).toBe(403);
    // A form posted from another site carries the cookie only without SameSite=Strict; refuse it anyway.
    const cookie = `ravi_dashboard_${new URL(dashboard.origin).port}=${dashboard.token}`;
    const before = (await identities()).length;
    const forged = await rawRequest(dashboard.origin, {
      path: '/actions/release',
      method: 'POST',
      headers: { host, cookie, origin: 'http://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ worktree: worktrees[0] as string, csrf: 'guess' }).toString(),
    });
    expect(forged.status).toBe(403);
    const noCsrf = await rawRequest(dashboard.origin, {
      path: '/actions/release',
      method: 'POST',
      headers: { host, cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ worktree: worktrees[0] as string }).toString(),
    });
    expect(noCsrf.status).toBe(403);
    expect((await identities()).length).toBe(before);
    // The page itself: no framing, no inline script, no referrer carrying the token.
    const page = await rawRequest(dashboard.origin, { path: '/', headers: { host, cookie } });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['referrer-policy']).toBe('same-origin');
  });

  it('answers on 127.0.0.1 only', async () => {
    expect(new URL(dashboard.url).hostname).toBe('127.0.0.1');
    const state = await rawRequest(dashboard.origin, { path: '/api/state', headers: { host: new URL(dashboard.origin).host, authorization: `Bearer ${dashboard.token}` } });
    expect(JSON.parse(state.body).stateDir).toBe(join(home, 'state'));
  });

  it('stops on SIGTERM with exit 0', async () => {
    expect(await dashboard.stop()).toBe(0);
  });
});

describe('dashboard on the Ravi provider (fake server)', () => {
  let server: FakeRaviServer;
  let repo: TestRepo;
  let home: string;
  let dashboard: DashboardProcess;
  const VAULT_SECRET = 'sk_live_never_on_the_page_9931';
  const agentDirs: string[] = [];

  beforeAll(async () => {
    server = await startFakeRaviServer();
    repo = await createRepo({ name: 'remote' });
    home = await createTempDir('ravi-dashboard-remote-');
    await writeRaviTeamConfig(server, repo.path, home, { secrets: { STRIPE_KEY: VAULT_SECRET } });
    agentDirs.push(await repo.addWorktree('agent-a'), await repo.addWorktree('agent-b'));
    expect((await runBuiltCli(['reconcile'], { cwd: repo.path, home })).exitCode).toBe(0);
    dashboard = await startDashboardProcess({ cwd: repo.path, home });
  });
  afterAll(async () => {
    await dashboard?.stop();
    await server?.close();
  });

  it('shows unread counts and neither the vault secret nor any scoped key', async () => {
    const agent = server.identities().find((i) => i.name === 'ws-remote-agent-a');
    expect(agent).toBeDefined();
    server.addEmail(agent?.uuid as string, { subject: 'Welcome', text_content: 'code 123456' });
    server.addEmail(agent?.uuid as string, { subject: 'Again', text_content: 'code 654321' });
    server.addSms(agent?.uuid as string, { body: '777888 is your code' });
    const page = await openDashboard(dashboard);
    const row = page.locator('tr[data-identity="ws-remote-agent-a"]');
    await expect.poll(() => row.innerText()).toContain('2 email, 1 SMS');
    const html = await page.content();
    expect(html).not.toContain(VAULT_SECRET);
    expect(html).not.toContain('123456'); // counts, never message contents
    for (const dir of agentDirs) {
      const scoped = JSON.parse(await readFile(join(dir, '.ravi', 'config.json'), 'utf8')) as Record<string, unknown>;
      const keys = Object.entries(scoped).filter(([name, value]) => /key/i.test(name) && typeof value === 'string').map(([, value]) => value as string);
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) expect(html).not.toContain(key);
    }
    expect(html).not.toContain(server.managementKey);
    await page.context().close();
  });
});

describe('dashboard served by the daemon (config dashboard.enabled)', () => {
  it('shows the link in status, provisions a new worktree live, and keeps the token across restarts', async () => {
    const repo = await createRepo({ name: 'served' });
    const home = await createTempDir('ravi-dashboard-daemon-');
    await writeFile(join(repo.path, 'ravi-orchestrator.config.json'), JSON.stringify({ dashboard: { enabled: true, port: 0 }, mail: { enabled: false }, orphans: { grace: 0 } }));
    const statusFile = join(home, 'state', 'daemon-status.json');
    const dashboardUrl = async () => (await readJsonFile<{ state: string; dashboard?: { url: string } }>(statusFile))?.dashboard?.url;
    let daemon = startDaemonProcess({ cwd: repo.path, home });
    const url = await waitFor(dashboardUrl, 'the dashboard link in the status file');
    const status = await runBuiltCli(['status'], { cwd: repo.path, home });
    expect(status.stdout).toContain(`dashboard: ${url}`);
    // `dashboard` points at the daemon's page instead of starting a second server.
    const pointed = await runBuiltCli(['dashboard', '--json'], { cwd: repo.path, home });
    expect(pointed.exitCode).toBe(0);
    expect(JSON.parse(pointed.stdout)).toMatchObject({ url, servedBy: 'daemon' });

    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url);
    const added = await repo.addWorktree('feat/live');
    const row = page.locator(`tr[data-worktree="${added}"]`);
    // The daemon provisions it; the open page follows without a reload.
    await waitFor(async () => (await row.count()) === 1 && (await row.innerText()).includes('in sync'), 'the provisioned row');
    expect(await row.innerText()).toContain('ws-served-feat-live@agents.localhost');
    await context.close();

    expect(await daemon.stop()).toBe(0);
    daemon = startDaemonProcess({ cwd: repo.path, home });
    await waitFor(async () => (await readJsonFile<{ state: string; pid: number }>(statusFile))?.pid === daemon.pid && (await dashboardUrl()) !== undefined, 'the restarted daemon');
    const token = new URL(url).searchParams.get('token');
    expect(new URL((await dashboardUrl()) as string).searchParams.get('token')).toBe(token);
    expect(await daemon.stop()).toBe(0);
  });
});
