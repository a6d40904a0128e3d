/**
 * Issue 13.3, SMTP side: a web page can POST an HTML form with enctype="text/plain" to http://127.0.0.1:2525
 * (2525 is not on the browsers' blocked-port list). The body then holds SMTP commands after the HTTP request
 * line and headers, a classic cross-protocol attack. smtp-server answers `421` to a first line that looks like
 * HTTP and to a client that talks before the greeting, and stops reading: these tests prove nothing is
 * delivered either way, while the very same commands without the HTTP head do deliver (so the test can fail).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createInboxStore } from '../../src/mail/inbox-store.js';
import { startSmtpServer } from '../../src/mail/smtp-server.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const UUID = '00000000-0000-4000-8000-000000000001';
const AGENT = 'ws-app-x@agents.localhost';

// A form whose one field is named with SMTP commands: Chrome's text/plain encoding writes `name=value` + CRLF.
const SMTP_LINES = ['EHLO evil.example', 'MAIL FROM:<attacker@evil.example>', `RCPT TO:<${AGENT}>`, 'DATA', 'From: attacker@evil.example',
  'Subject: Your code', '', 'Your code is 999999 https://evil.example/verify', '.', 'QUIT'];
const FORM_BODY = `${SMTP_LINES.join('\r\n')}\r\nx=y\r\n`;

function browserRequest(port: number): string {
  return [
    'POST / HTTP/1.1', `Host: 127.0.0.1:${port}`, 'Connection: keep-alive', `Content-Length: ${Buffer.byteLength(FORM_BODY)}`,
    'Cache-Control: max-age=0', 'Upgrade-Insecure-Requests: 1', 'Origin: https://evil.example', 'Content-Type: text/plain',
    'User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
    'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'Sec-Fetch-Site: cross-site', 'Sec-Fetch-Mode: navigate',
    'Sec-Fetch-User: ?1', 'Sec-Fetch-Dest: document', 'Referer: https://evil.example/', 'Accept-Encoding: gzip, deflate, br', 'Accept-Language: en-US,en;q=0.9',
    '', FORM_BODY,
  ].join('\r\n');
}

async function setup() {
  const stateDir = await mkdtemp(join(tmpdir(), 'smtp-cross-'));
  cleanups.push(() => rm(stateDir, { recursive: true, force: true }));
  const store = createInboxStore(stateDir);
  const server = await startSmtpServer({
    port: 0, store, logger: pino({ level: 'silent' }),
    resolveRecipient: async (address) => (address === AGENT ? UUID : null),
  });
  cleanups.push(() => server.close());
  return { store, port: server.port };
}

/** Connects, optionally waits for the greeting, writes `payload` in one go, and returns all the server said until it closed. */
function converse(port: number, payload: (port: number) => string, waitForGreeting: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let said = '';
    let written = false;
    const write = () => {
      if (written) return;
      written = true;
      socket.write(payload(port));
    };
    socket.on('connect', () => waitForGreeting || write());
    socket.on('data', (chunk: Buffer) => {
      said += chunk.toString('utf8');
      if (said.startsWith('220 ')) write();
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(said));
  });
}

describe('an HTML form posted to the SMTP port (cross-protocol)', () => {
  it('control: the same commands from an SMTP client deliver', async () => {
    const { store, port } = await setup();
    const said = await converse(port, () => `${SMTP_LINES.join('\r\n')}\r\n`, true);
    expect(said).toMatch(/^354 /m);
    expect((await store.listEmails(UUID)).map((m) => m.subject)).toEqual(['Your code']);
  });

  it('sent as soon as the connection opens (as a browser does): refused, nothing delivered', async () => {
    const { store, port } = await setup();
    const said = await converse(port, browserRequest, false);
    expect(said).toMatch(/^421 .*(talk too soon|HTTP requests not allowed)/m);
    expect(said).not.toMatch(/^354 /m);
    expect(await store.listEmails(UUID)).toEqual([]);
  });

  it('sent on a connection opened earlier (a preconnect, after the greeting): refused, nothing delivered', async () => {
    const { store, port } = await setup();
    const said = await converse(port, browserRequest, true);
    expect(said).toMatch(/^421 .*HTTP requests not allowed/m);
    expect(said).not.toMatch(/^(250 .*(Accepted|OK)|354 )/m);
    expect(await store.listEmails(UUID)).toEqual([]);
  });
});
