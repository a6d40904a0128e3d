/**
 * Issue 13.3: a web page must not be able to put an SMS (a code, a link) into an agent's inbox. Each request
 * below is written byte for byte as a browser sends it (Chrome's headers for a form post, a no-cors fetch, a
 * beacon, a DNS-rebound page; and the same without Origin/Sec-Fetch-*, as an old browser would): every one is
 * refused and nothing is stored. The documented ways (curl with JSON, a server process posting JSON, a
 * Twilio-style form with credentials) still deliver.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { execa, execaSync } from 'execa';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createInboxStore } from '../../src/mail/inbox-store.js';
import { startSmsEndpoint } from '../../src/mail/sms-endpoint.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const AGENT = '+12015550100';
const UUID = '00000000-0000-4000-8000-000000000001';
const EVIL = 'https://evil.example';
const CHROME_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const CLIENT_HINTS = ['sec-ch-ua: "Chromium";v="126", "Not.A/Brand";v="24"', 'sec-ch-ua-mobile: ?0', 'sec-ch-ua-platform: "Linux"'];
const FORM_BODY = `To=${encodeURIComponent(AGENT)}&From=%2B15550001111&Body=Your+code+is+999999+https%3A%2F%2Fevil.example%2Fverify`;
const JSON_BODY = JSON.stringify({ to: AGENT, from: '+15550001111', body: 'Your code is 999999 https://evil.example/verify' });

async function setup() {
  const stateDir = await mkdtemp(join(tmpdir(), 'sms-cross-site-'));
  cleanups.push(() => rm(stateDir, { recursive: true, force: true }));
  const store = createInboxStore(stateDir);
  const logLines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) });
  const server = await startSmsEndpoint({ port: 0, store, logger, resolveNumber: async (e164) => (e164 === AGENT ? UUID : null) });
  cleanups.push(() => server.close());
  return { store, port: server.port, logLines };
}

/** Sends `head` lines and `body` as raw bytes (nothing added), returns the response's status code. */
function rawPost(port: number, head: readonly string[], body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const status = /^HTTP\/1\.1 (\d{3}) /.exec(received);
      if (status !== null && received.includes('\r\n\r\n')) {
        socket.destroy();
        resolve(Number(status[1]));
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`closed without a response: ${JSON.stringify(received)}`)));
    socket.write(`POST /sms HTTP/1.1\r\n${[...head, `Content-Length: ${Buffer.byteLength(body)}`].join('\r\n')}\r\n\r\n${body}`);
  });
}

interface BrowserRequest {
  readonly what: string;
  readonly head: (port: number) => string[];
  readonly body: string;
  readonly status: number;
}

// Headers as Chrome sends them for each kind of request (its usual set and order; Origin and Sec-Fetch-* as the
// Fetch and Fetch Metadata specs require).
const attacks: BrowserRequest[] = [
  {
    what: 'a cross-site <form method=post> (urlencoded, no preflight)',
    head: (port) => [`Host: 127.0.0.1:${port}`, 'Connection: keep-alive', 'Cache-Control: max-age=0', ...CLIENT_HINTS, 'Upgrade-Insecure-Requests: 1',
      `Origin: ${EVIL}`, 'Content-Type: application/x-www-form-urlencoded', `User-Agent: ${CHROME_UA}`,
      'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8',
      'Sec-Fetch-Site: cross-site', 'Sec-Fetch-Mode: navigate', 'Sec-Fetch-User: ?1', 'Sec-Fetch-Dest: document', `Referer: ${EVIL}/`,
      'Accept-Encoding: gzip, deflate, br, zstd', 'Accept-Language: en-US,en;q=0.9'],
    body: FORM_BODY,
    status: 403,
  },
  {
    what: "fetch(url, {method: 'POST', mode: 'no-cors', body: JSON.stringify(...)}) (text/plain)",
    head: (port) => [`Host: 127.0.0.1:${port}`, 'Connection: keep-alive', ...CLIENT_HINTS, `User-Agent: ${CHROME_UA}`, 'Content-Type: text/plain;charset=UTF-8',
      'Accept: */*', `Origin: ${EVIL}`, 'Sec-Fetch-Site: cross-site', 'Sec-Fetch-Mode: no-cors', 'Sec-Fetch-Dest: empty', `Referer: ${EVIL}/`,
      'Accept-Encoding: gzip, deflate, br, zstd', 'Accept-Language: en-US,en;q=0.9'],
    body: JSON_BODY,
    status: 403,
  },
  {
    what: 'navigator.sendBeacon(url, jsonString) from a page on http://localhost:3000 (same-site)',
    head: (port) => [`Host: localhost:${port}`, 'Connection: keep-alive', ...CLIENT_HINTS, `User-Agent: ${CHROME_UA}`, 'Content-Type: text/plain;charset=UTF-8',
      'Accept: */*', 'Origin: http://localhost:3000', 'Sec-Fetch-Site: same-site', 'Sec-Fetch-Mode: no-cors', 'Sec-Fetch-Dest: empty',
      'Referer: http://localhost:3000/', 'Accept-Encoding: gzip, deflate, br, zstd', 'Accept-Language: en-US,en;q=0.9'],
    body: JSON_BODY,
    status: 403,
  },
  {
    what: 'a form from a sandboxed iframe (Origin: null)',
    head: (port) => [`Host: 127.0.0.1:${port}`, 'Connection: keep-alive', 'Origin: null', 'Content-Type: application/x-www-form-urlencoded',
      `User-Agent: ${CHROME_UA}`, 'Accept: */*', 'Accept-Language: en-US,en;q=0.9'],
    body: FORM_BODY,
    status: 403,
  },
  {
    what: 'a DNS-rebound page posting JSON "same-origin" (no preflight needed) under its own name',
    head: (port) => [`Host: rebind.evil.example:${port}`, 'Connection: keep-alive', ...CLIENT_HINTS, `User-Agent: ${CHROME_UA}`, 'Content-Type: application/json',
      'Accept: */*', `Origin: http://rebind.evil.example:${port}`, 'Sec-Fetch-Site: same-origin', 'Sec-Fetch-Mode: cors', 'Sec-Fetch-Dest: empty',
      `Referer: http://rebind.evil.example:${port}/`, 'Accept-Encoding: gzip, deflate, br, zstd', 'Accept-Language: en-US,en;q=0.9'],
    body: JSON_BODY,
    status: 403,
  },
  // An old browser sends neither Origin nor Sec-Fetch-*: the content-type rule alone must hold.
  {
    what: 'an old browser: cross-site urlencoded form, no Origin, no Sec-Fetch-*',
    head: (port) => [`Host: 127.0.0.1:${port}`, 'Connection: keep-alive', 'Content-Type: application/x-www-form-urlencoded', 'User-Agent: Mozilla/5.0 (Windows NT 6.1; rv:60.0) Gecko/20100101 Firefox/60.0',
      'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', `Referer: ${EVIL}/`],
    body: FORM_BODY,
    status: 403,
  },
  {
    what: 'an old browser: text/plain form carrying JSON',
    head: (port) => [`Host: 127.0.0.1:${port}`, 'Connection: keep-alive', 'Content-Type: text/plain', 'User-Agent: Mozilla/5.0 (Windows NT 6.1; rv:60.0) Gecko/20100101 Firefox/60.0', 'Accept: */*'],
    body: JSON_BODY,
    status: 415,
  },
  {
    what: 'an old browser: multipart/form-data form',
    head: (port) => [`Host: 127.0.0.1:${port}`, 'Connection: keep-alive', 'Content-Type: multipart/form-data; boundary=----x', 'User-Agent: Mozilla/5.0', 'Accept: */*'],
    body: `------x\r\nContent-Disposition: form-data; name="To"\r\n\r\n${AGENT}\r\n------x\r\nContent-Disposition: form-data; name="Body"\r\n\r\n999999\r\n------x--\r\n`,
    status: 415,
  },
  {
    what: 'fetch with a Blob body and no content type (a simple request)',
    head: (port) => [`Host: 127.0.0.1:${port}`, 'Connection: keep-alive', `User-Agent: ${CHROME_UA}`, 'Accept: */*', 'Accept-Language: en-US,en;q=0.9'],
    body: JSON_BODY,
    status: 415,
  },
  {
    what: 'an old browser on a DNS-rebound name posting JSON, no Origin',
    head: (port) => [`Host: rebind.evil.example:${port}`, 'Connection: keep-alive', 'Content-Type: application/json', 'User-Agent: Mozilla/5.0', 'Accept: */*'],
    body: JSON_BODY,
    status: 403,
  },
];

describe('the SMS endpoint refuses what a web page can send', () => {
  it.each(attacks)('$what', async ({ head, body, status }) => {
    const { store, port, logLines } = await setup();
    expect(await rawPost(port, head(port), body)).toBe(status);
    expect(await store.listSms(UUID)).toEqual([]);
    expect(logLines.join('')).toContain('refused an SMS request a web page could have sent');
    expect(logLines.join('')).not.toContain('999999');
  });

  it('a page spraying every local number gets nothing in', async () => {
    const { store, port } = await setup();
    const form = attacks[0]!;
    for (let n = 100; n < 120; n += 1) {
      const to = encodeURIComponent(`+1201555${String(n).padStart(4, '0')}`);
      expect(await rawPost(port, form.head(port), FORM_BODY.replace(encodeURIComponent(AGENT), to))).toBe(403);
    }
    expect(await store.listSms(UUID)).toEqual([]);
  });
});

describe('the documented ways still deliver', () => {
  it("curl as the README writes it (-H 'content-type: application/json'), byte for byte", async () => {
    const { store, port } = await setup();
    const head = [`Host: localhost:${port}`, 'User-Agent: curl/8.5.0', 'Accept: */*', 'content-type: application/json'];
    expect(await rawPost(port, head, JSON_BODY)).toBe(201);
    expect((await store.listSms(UUID)).map((m) => m.body)).toEqual(['Your code is 999999 https://evil.example/verify']);
  });

  it.runIf(hasCurl())('the real curl, when this machine has one', async () => {
    const { store, port } = await setup();
    const result = await execa('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `localhost:${port}/sms`, '-H', 'content-type: application/json', '-d', JSON_BODY]);
    expect(result.stdout).toBe('201');
    const form = await execa('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `localhost:${port}/sms`, '-d', FORM_BODY]);
    expect(form.stdout).toBe('403'); // a form needs credentials now
    const twilio = await execa('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-u', 'ACtest:token', `localhost:${port}/sms`, '-d', FORM_BODY]);
    expect(twilio.stdout).toBe('201');
    expect(await store.listSms(UUID)).toHaveLength(2);
  });

  it("a server process posting JSON with Node's fetch (which sends Sec-Fetch-Mode: cors, and no Origin)", async () => {
    const { store, port } = await setup();
    for (const host of ['127.0.0.1', 'localhost']) {
      const response = await fetch(`http://${host}:${port}/sms`, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON_BODY });
      expect(response.status).toBe(201);
    }
    expect(await store.listSms(UUID)).toHaveLength(2);
  });

  it('a Twilio-style form with HTTP Basic credentials, as Twilio clients post', async () => {
    const { store, port } = await setup();
    const head = [`Host: 127.0.0.1:${port}`, `Authorization: Basic ${Buffer.from('ACxxxxxxxx:token').toString('base64')}`,
      'Content-Type: application/x-www-form-urlencoded; charset=utf-8', 'User-Agent: twilio-node/5.0.0', 'Accept: application/json'];
    expect(await rawPost(port, head, FORM_BODY)).toBe(201);
    expect((await store.listSms(UUID)).map((m) => m.from_number)).toEqual(['+15550001111']);
  });
});

function hasCurl(): boolean {
  return execaSync('sh', ['-c', 'command -v curl'], { reject: false }).exitCode === 0;
}
