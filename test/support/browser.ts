/**
 * A headless Chromium driven by playwright-core, which downloads no browser: findChromium (chromium.ts)
 * picks a system one or the one bundled in a dev dependency. The flags keep Chromium from reaching out
 * at start-up, which a closed network refuses. Also what the dashboard tests share: a page per context,
 * an axe-core check, and raw HTTP requests.
 */
import { createRequire } from 'node:module';
import { request } from 'node:http';
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { findChromium } from './chromium.js';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Chromium's temp files go to a folder of its own, removed when it closes: full suite runs left
 * `.org.chromium.Chromium.*` files in the system's temp folder (Chromium's shared memory, not always unlinked).
 */
export async function launchBrowser(): Promise<Browser> {
  const binary = await findChromium();
  const temp = await mkdtemp(join(tmpdir(), 'ravi-chromium-'));
  try {
    const browser = await chromium.launch({ executablePath: binary.path, args: FLAGS, env: { ...process.env, ...binary.env, TMPDIR: temp } });
    browser.once('disconnected', () => rmSync(temp, { recursive: true, force: true }));
    return browser;
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    throw error;
  }
}

/** A page in a context of its own (close it with `page.context().close()`), the page's CSP in force. */
export async function openPage(browser: Browser, url: string, options: { javaScriptEnabled?: boolean; colorScheme?: 'light' | 'dark' } = {}): Promise<Page> {
  const context = await browser.newContext({ javaScriptEnabled: options.javaScriptEnabled ?? true, colorScheme: options.colorScheme ?? 'light', bypassCSP: false });
  const page = await context.newPage();
  await page.goto(url);
  return page;
}

const AXE_SOURCE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** axe-core's WCAG 2 A/AA and best-practice violations of the page as it is after a reload, as "id (nodes)". */
export async function axeViolations(page: Page): Promise<string[]> {
  // The page's CSP forbids injected scripts; axe runs in an isolated world through Playwright instead.
  await page.context().addInitScript({ path: AXE_SOURCE });
  await page.reload();
  const results = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (context?: unknown, options?: unknown) => Promise<{ violations: Array<{ id: string; nodes: unknown[] }> }> } }).axe;
    return axe.run((globalThis as unknown as { document: unknown }).document, { runOnly: ['wcag2a', 'wcag2aa', 'best-practice'] });
  });
  return results.violations.map((v) => `${v.id} (${v.nodes.length})`);
}

export interface RawResponse {
  readonly status: number;
  readonly body: string;
  readonly headers: Record<string, string | string[] | undefined>;
}

/** Raw HTTP, so the test controls every header (fetch would not let it set Host). */
export function rawRequest(origin: string, options: { path: string; method?: string; headers?: Record<string, string>; body?: string }): Promise<RawResponse> {
  const url = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: options.path, method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}
