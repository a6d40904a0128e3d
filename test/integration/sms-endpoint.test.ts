import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createInboxStore } from '../../src/mail/inbox-store.js';
import { normalizePhone, startSmsEndpoint } from '../../src/mail/sms-endpoint.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const AGENT = '+12015550100';
const UUID = '00000000-0000-4000-8000-000000000001';

async function setup() {
  const stateDir = await mkdtemp(join(tmpdir(), 'sms-endpoint-'));
  cleanups.push(() => rm(stateDir, { recursive: true, force: true }));
  const store = createInboxStore(stateDir);
  const logLines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
  const server = await startSmsEndpoint({ port: 0, store, logger, resolveNumber: async (e164) => (e164 === AGENT ? UUID : null) });
  cleanups.push(() => server.close());
  const url = `http://${server.host}:${server.port}`;
  const post = (body: string, contentType = 'application/json', path = '/sms') => {
    // A form needs credentials (any: Twilio clients send Basic auth), so no web page can post one (sms-cross-site.test.ts).
    const headers: Record<string, string> = { 'content-type': contentType };
    if (contentType.includes('form')) headers.authorization = 'Basic QUN4eHg6dG9rZW4=';
    return fetch(`${url}${path}`, { method: 'POST', body, headers });
  };
  return { store, url, post, logLines };
}

describe('local SMS endpoint', () => {
  it('stores a JSON SMS and answers 201 with the stored message', async () => {
    const { post, store, logLines } = await setup();
    const response = await post(JSON.stringify({ to: '+1 (201) 555-0100', from: '+1 555 000 1111', body: '424242 is your code' }));
    expect(response.status).toBe(201);
    const message = await response.json();
    expect(message).toMatchObject({ to_number: AGENT, from_number: '+15550001111', body: '424242 is your code', is_read: false, direction: 'incoming' });
    expect(await store.listSms(UUID)).toEqual([message]);
    expect(logLines.join('')).toContain('delivered an SMS');
    expect(logLines.join('')).not.toContain('424242');
  });

  it('takes a form with credentials, with lowercase or Twilio-style field names, and keeps a named sender', async () => {
    const { post, store } = await setup();
    const form = 'application/x-www-form-urlencoded';
    expect((await post(new URLSearchParams({ to: AGENT, from: 'GitHub', body: 'code 1' }).toString(), form)).status).toBe(201);
    expect((await post(new URLSearchParams({ To: AGENT, From: '+15550002222', Body: 'code 2' }).toString(), form)).status).toBe(201);
    // `curl -d To=+1201...` leaves the "+" unencoded, which form decoding reads as a space.
    expect((await post(`To=+${AGENT.slice(1)}&Body=code+3`, form)).status).toBe(201);
    expect((await post(JSON.stringify({ To: AGENT, Body: 'code 4' }))).status).toBe(201);
    const messages = await store.listSms(UUID);
    expect(messages.map((m) => [m.from_number, m.body])).toEqual([['', 'code 4'], ['', 'code 3'], ['+15550002222', 'code 2'], ['GitHub', 'code 1']]);
  });

  it('answers 404 for a number no local agent has', async () => {
    const { post, store } = await setup();
    const response = await post(JSON.stringify({ to: '+12015550199', from: 'x', body: 'hi' }));
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ detail: 'No local agent has the number +12015550199' });
    expect(await store.listSms(UUID)).toEqual([]);
  });

  it('answers 400 for bad JSON or missing fields, 413 for a huge body, 404/405 elsewhere', async () => {
    const { post, url, store } = await setup();
    for (const body of ['{not json', '[]', '"text"', JSON.stringify({ from: 'x', body: 'hi' }), JSON.stringify({ to: AGENT }),
      JSON.stringify({ to: 'not a number', body: 'hi' }), JSON.stringify({ to: AGENT, body: 'hi', from: 42 })]) {
      const response = await post(body);
      expect(response.status, body).toBe(400);
      expect(typeof ((await response.json()) as { detail?: unknown }).detail).toBe('string');
    }
    expect((await post(JSON.stringify({ to: AGENT, body: 'x'.repeat(70_000) }))).status).toBe(413);
    expect((await post('{}', 'application/json', '/other')).status).toBe(404);
    expect((await fetch(`${url}/sms`)).status).toBe(405);
    expect(await store.listSms(UUID)).toEqual([]);
  });

  it('refuses to listen on anything but loopback', async () => {
    const options = { port: 0, store: createInboxStore(tmpdir()), logger: pino({ level: 'silent' }), resolveNumber: async () => null };
    await expect(startSmsEndpoint({ ...options, host: '0.0.0.0' })).rejects.toThrow(/loopback only/);
  });
});

describe('normalizePhone', () => {
  it.each([
    ['+1 (201) 555-0100', '+12015550100'],
    ['+12015550100', '+12015550100'],
    ['(201) 555-0100', '+12015550100'],
    ['201.555.0100', '+12015550100'],
    ['1 201 555 0100', '+12015550100'],
    ['+44 7700 900123', '+447700900123'],
    ['0044 7700 900123', '+447700900123'],
    ['  +33 6 12 34 56 78 ', '+33612345678'],
    ['555-0100', null],
    ['+1234567', null],
    ['+1234567890123456', null],
    ['+0 201 555 0100', null],
    ['12+015550100', null],
    ['GitHub', null],
    ['201-555-0100 ext 5', null],
    ['', null],
  ])('%s -> %s', (raw, expected) => {
    expect(normalizePhone(raw)).toBe(expected);
  });
});
