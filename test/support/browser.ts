/**
 * Debian's Chromium driven by playwright-core (never a downloaded browser: this machine's network is
 * closed). The flags keep Chromium from reaching out at start-up, which the sandbox refuses.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.RAVI_TEST_CHROMIUM ?? '/usr/bin/chromium';

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
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does) or set RAVI_TEST_CHROMIUM`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: FLAGS });
}
