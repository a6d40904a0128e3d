/**
 * A headless Chromium driven by playwright-core, which downloads no browser: findChromium (chromium.ts)
 * picks a system one or the one bundled in a dev dependency. The flags keep Chromium from reaching out
 * at start-up, which a closed network refuses.
 */
import { chromium, type Browser } from 'playwright-core';
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

export async function launchBrowser(): Promise<Browser> {
  const binary = await findChromium();
  return chromium.launch({ executablePath: binary.path, args: FLAGS, env: { ...process.env, ...binary.env } });
}
