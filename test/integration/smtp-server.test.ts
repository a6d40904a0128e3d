import { afterEach, describe, expect, it } from 'vitest';
import { EventEmitter, once } from 'node:events';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTransport } from 'nodemailer';
import { pino } from 'pino';
import { createInboxStore, type InboxStore } from '../../src/mail/inbox-store.js';
import { mailboxOf, startSmtpServer, type RunningServer } from '../../src/mail/smtp-server.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const uuidOf = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const addressOf = (n: number) => `ws-${n}@agents.localhost`;

async function setup(options: { maxMessageBytes?: number; closeTimeoutMs?: number; wrapStore?: (store: InboxStore) => InboxStore } = {}) {
  const stateDir = await mkdtemp(join(tmpdir(), 'smtp-server-'));
  cleanups.push(() => rm(stateDir, { recursive: true, force: true }));
  const store = createInboxStore(stateDir);
  const logs = new EventEmitter();
  const logLines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void (logLines.push(line), logs.emit('line', line)) });
  const looked: string[] = [];
  const server: RunningServer = await startSmtpServer({
    port: 0,
    maxMessageBytes: options.maxMessageBytes,
    closeTimeoutMs: options.closeTimeoutMs,
    store: options.wrapStore ? options.wrapStore(store) : store,
    logger,
    resolveRecipient: async (address) => {
      looked.push(address);
      const n = /^ws-(\d+)@agents\.localhost$/.exec(address)?.[1];
      return n === undefined ? null : uuidOf(Number(n));
    },
  });
  cleanups.push(() => server.close());
  const send = (mail: Parameters<ReturnType<typeof createTransport>['sendMail']>[0]) => {
    const transport = createTransport({ host: '127.0.0.1', port: server.port, secure: false, ignoreTLS: true });
    return transport.sendMail({ from: 'Shop <shop@example.com>', ...mail }).finally(() => transport.close());
  };
  const inboxFolder = (n: number) => join(stateDir, 'local', 'inbox', uuidOf(n), 'email');
  const untilLog = (text: string) => new Promise<void>((resolve) => {
    if (logLines.some((l) => l.includes(text))) return resolve();
    logs.on('line', (line: string) => line.includes(text) && resolve());
  });
  return { server, store, send, inboxFolder, logLines, looked, untilLog };
}

describe('local SMTP server', () => {
  it("stores text, HTML and attachment metadata in Ravi's fields, and acknowledges only once the file is on disk", async () => {
    const { send, store, inboxFolder, logLines } = await setup();
    const info = await send({
      to: addressOf(1), cc: ['Boss <boss@example.com>', 'team@example.com'], subject: 'Votre code ✓ 424242', messageId: '<abc@example.com>',
      text: 'Héllo, your code is 424242', html: '<p>Héllo, code <b>424242</b></p>', textEncoding: 'base64',
      attachments: [{ filename: 'invoice.txt', content: 'SECRET-ATTACHMENT-BODY', contentType: 'text/plain' }],
    });
    // The 250 came after the fsync: the file exists the moment sendMail resolves.
    const files = readdirSync(inboxFolder(1));
    expect(files.filter((f) => f.endsWith('.json'))).toHaveLength(1);
    expect(info.accepted).toEqual([addressOf(1)]);

    const [message] = await store.listEmails(uuidOf(1));
    expect(message).toMatchObject({
      from_email: 'shop@example.com', to_email: addressOf(1), cc: 'boss@example.com, team@example.com', subject: 'Votre code ✓ 424242',
      text_content: 'Héllo, your code is 424242', html_content: '<p>Héllo, code <b>424242</b></p>', is_read: false,
      direction: 'incoming', message_id: '<abc@example.com>', attachments: [{ filename: 'invoice.txt', content_type: 'text/plain', size: 22 }],
    });
    const raw = await readFile(join(inboxFolder(1), files[0]!), 'utf8');
    expect(raw).not.toContain('SECRET-ATTACHMENT-BODY');
    expect(logLines.join('')).toContain('delivered a message');
    expect(logLines.join('')).not.toContain('424242'); // bodies and subjects hold codes: never logged
  });

  it('decodes RFC 2047 subjects, quoted-printable and base64 bodies, and dot-stuffing sent by hand', async () => {
    const { server, store } = await setup();
    const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
    const client = await RawSmtp.open(server.port);
    for (const [line, code] of [['EHLO raw', 250], ['MAIL FROM:<raw@example.com>', 250], [`RCPT TO:<${addressOf(2)}>`, 250], ['DATA', 354]] as const) {
      expect(await client.command(line)).toMatch(new RegExp(`^${code} `));
    }
    const body = [
      'From: Raw <raw@example.com>', `To: ${addressOf(2)}`, `Subject: =?UTF-8?B?${b64('Código de verificação')}?=`, 'MIME-Version: 1.0',
      'Content-Type: multipart/alternative; boundary="b1"', '', '--b1', 'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable', '', 'Ol=C3=A1! C=C3=B3digo 777888.', '..leading dot', '--b1',
      'Content-Type: text/html; charset=utf-8', 'Content-Transfer-Encoding: base64', '', b64('<p>Olá <b>777888</b></p>'), '--b1--', '.',
    ];
    expect(await client.command(body.join('\r\n'))).toMatch(/^250 /);
    await client.quit();
    const [message] = await store.listEmails(uuidOf(2));
    expect(message?.subject).toBe('Código de verificação');
    expect(message?.text_content.trim()).toBe('Olá! Código 777888.\n.leading dot');
    expect(message?.html_content).toBe('<p>Olá <b>777888</b></p>');
    expect(message?.from_email).toBe('raw@example.com');
  });

  it('delivers to every known recipient, rejects the unknown one, and matches addresses case-insensitively', async () => {
    const { send, store, looked } = await setup();
    const info = await send({ to: ['WS-3@Agents.LOCALHOST', 'nobody@agents.localhost', addressOf(4)], subject: 'hi', text: 'x' });
    expect(info.rejected).toEqual(['nobody@agents.localhost']);
    expect(info.rejectedErrors?.[0]?.response).toMatch(/^550 5\.1\.1 no such local agent mailbox <nobody@agents\.localhost>/);
    expect(looked).toContain('ws-3@agents.localhost');
    expect(await store.listEmails(uuidOf(3))).toMatchObject([{ to_email: 'WS-3@agents.localhost', subject: 'hi' }]); // as sent (nodemailer lowercases domains)
    expect(await store.listEmails(uuidOf(4))).toHaveLength(1);
  });

  it('delivers plus-addressed mail (name+tag@) to the mailbox, case-insensitively, keeping the address as written', async () => {
    const { send, store, looked } = await setup();
    await send({ to: 'ws-6+signup1@agents.localhost', subject: 'first sign-up', text: 'code 111111' });
    await send({ to: 'WS-6+SignUp2@agents.localhost', subject: 'second sign-up', text: 'code 222222' });
    expect(looked).toEqual(['ws-6@agents.localhost', 'ws-6@agents.localhost']);
    expect((await store.listEmails(uuidOf(6))).map((m) => [m.to_email, m.subject])).toEqual([
      ['WS-6+SignUp2@agents.localhost', 'second sign-up'],
      ['ws-6+signup1@agents.localhost', 'first sign-up'],
    ]);
    const unknown = await send({ to: 'ghost+x@agents.localhost', text: 'x' }).catch((e: unknown) => e as { responseCode?: number });
    expect(unknown.responseCode).toBe(550);
  });

  it.each([
    ['ws-app-x+signup1@agents.localhost', 'ws-app-x@agents.localhost'],
    ['WS-App-X+A+B@Agents.Localhost', 'ws-app-x@agents.localhost'],
    ['ws-app-x+@agents.localhost', 'ws-app-x@agents.localhost'],
    ['ws-app-x@agents.localhost', 'ws-app-x@agents.localhost'],
    ['+tag@agents.localhost', '+tag@agents.localhost'], // no mailbox name before the "+": left alone, so refused
    ['no-at-sign+tag', 'no-at-sign'],
  ])('mailboxOf(%s) is %s', (address, mailbox) => {
    expect(mailboxOf(address)).toBe(mailbox);
  });

  it('refuses a message to unknown recipients only with 550', async () => {
    const { send } = await setup();
    const error = await send({ to: 'ghost@agents.localhost', text: 'x' }).catch((e: unknown) => e as { responseCode?: number; response?: string });
    expect(error.responseCode).toBe(550);
    expect(error.response).toContain('5.1.1 no such local agent mailbox <ghost@agents.localhost>');
  });

  it('refuses an oversized message with 552 and stores nothing', async () => {
    const { send, server, store } = await setup({ maxMessageBytes: 2048 });
    const error = await send({ to: addressOf(5), text: 'y'.repeat(10_000) }).catch((e: unknown) => e as { responseCode?: number });
    expect(error.responseCode).toBe(552);
    // By hand, without a SIZE parameter, so DATA itself goes over the limit.
    const client = await RawSmtp.open(server.port);
    for (const line of ['EHLO raw', 'MAIL FROM:<raw@example.com>', `RCPT TO:<${addressOf(5)}>`, 'DATA']) await client.command(line);
    expect(client.transcript.join('\n')).toMatch(/^250[- ]SIZE 2048$/m); // advertised, so well-behaved clients never try
    expect(client.transcript.join('\n')).not.toContain('STARTTLS'); // loopback only: no TLS offered
    expect(await client.command(`Subject: big\r\n\r\n${'z'.repeat(5000)}\r\n.`)).toMatch(/^552 5\.3\.4 /);
    await client.quit();
    expect(await store.listEmails(uuidOf(5))).toEqual([]);
  });

  it('answers 451 when the message cannot be stored, and the retry is delivered', async () => {
    let failNext = true;
    const { send, store } = await setup({
      wrapStore: (inner) => ({ ...inner, addEmail: async (uuid, email) => (failNext ? ((failNext = false), Promise.reject(new Error('disk full'))) : inner.addEmail(uuid, email)) }),
    });
    const error = await send({ to: addressOf(6), text: 'x' }).catch((e: unknown) => e as { responseCode?: number });
    expect(error.responseCode).toBe(451);
    await send({ to: addressOf(6), text: 'x' });
    expect(await store.listEmails(uuidOf(6))).toHaveLength(1);
  });

  it('survives garbage, out-of-order commands and a client vanishing mid-DATA, storing nothing from them', async () => {
    const { server, send, store, untilLog } = await setup();
    const client = await RawSmtp.open(server.port);
    expect(await client.command('HELLO?? \u0001')).toMatch(/^500 /);
    expect(await client.command('EHLO raw')).toMatch(/^250 /);
    expect(await client.command('DATA')).toMatch(/^503 /);
    expect(await client.command(`RCPT TO:<${addressOf(7)}>`)).toMatch(/^503 /);
    expect(await client.command('MAIL FROM:<raw@example.com>')).toMatch(/^250 /);
    expect(await client.command(`RCPT TO:<${addressOf(7)}>`)).toMatch(/^250 /);
    expect(await client.command('DATA')).toMatch(/^354 /);
    client.write('Subject: half\r\n\r\nthe first half of a message');
    client.destroy();
    await untilLog('the client left before the end of the message');

    await send({ to: addressOf(7), subject: 'whole', text: 'x' });
    expect((await store.listEmails(uuidOf(7))).map((m) => m.subject)).toEqual(['whole']);
  });

  it('keeps ten parallel senders apart: each message lands only in its own inbox', async () => {
    const { send, store, inboxFolder } = await setup();
    const ids = Array.from({ length: 10 }, (_, i) => 100 + i);
    await Promise.all(ids.map((n) => send({ to: addressOf(n), subject: `for ${n}`, text: `code ${n}` })));
    for (const n of ids) {
      expect((await store.listEmails(uuidOf(n))).map((m) => [m.subject, m.to_email])).toEqual([[`for ${n}`, addressOf(n)]]);
    }
    expect(existsSync(inboxFolder(99))).toBe(false);
  });

  it('serves the clients that connect together before it has made its SMTP server, one of them gone at once', async () => {
    // smtp-server is made at the first connection (smtp-server.ts): the others arrive in the same moment.
    const { server, send, store } = await setup();
    const gone = connect(server.port, '127.0.0.1');
    gone.on('error', () => undefined);
    gone.on('connect', () => gone.destroy());
    const ids = [120, 121, 122];
    await Promise.all(ids.map((n) => send({ to: addressOf(n), subject: `early ${n}`, text: 'x' })));
    for (const n of ids) expect((await store.listEmails(uuidOf(n))).map((m) => m.subject)).toEqual([`early ${n}`]);
    expect(gone.destroyed).toBe(true);
  });

  it('on close stops taking clients at once and lets the message in flight finish', async () => {
    const { server, store } = await setup();
    const client = await RawSmtp.open(server.port);
    expect(await client.command('EHLO raw')).toMatch(/^250 /);
    expect(await client.command('MAIL FROM:<raw@example.com>')).toMatch(/^250 /);
    expect(await client.command(`RCPT TO:<${addressOf(130)}>`)).toMatch(/^250 /);
    expect(await client.command('DATA')).toMatch(/^354 /);
    client.write('Subject: at close\r\n\r\nthe first half, ');
    const closed = server.close();
    const refused = connect(server.port, '127.0.0.1');
    const [error] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');
    expect(await client.command('the second half\r\n.')).toMatch(/^250 /);
    expect(await client.command('NOOP')).toMatch(/^421 /); // no new transaction
    client.destroy();
    await closed;
    expect((await store.listEmails(uuidOf(130))).map((m) => [m.subject, m.text_content.trim()])).toEqual([['at close', 'the first half, the second half']]);
  });

  it('cuts a session still open when the close deadline passes', async () => {
    const { server } = await setup({ closeTimeoutMs: 200 });
    const client = await RawSmtp.open(server.port);
    expect(await client.command('EHLO idle')).toMatch(/^250 /);
    await server.close(); // resolves only once every session has ended
    await client.closed;
    expect(client.transcript.at(-1)).toMatch(/^421 4\.4\.2 /);
  });

  it('closes at once when no client ever came', async () => {
    const { server } = await setup();
    await server.close();
    const refused = connect(server.port, '127.0.0.1');
    const [error] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');
  });

  it('refuses to listen on anything but loopback', async () => {
    const store = createInboxStore(tmpdir());
    const options = { port: 0, store, logger: pino({ level: 'silent' }), resolveRecipient: async () => null };
    await expect(startSmtpServer({ ...options, host: '0.0.0.0' })).rejects.toThrow(/loopback only/);
    await expect(startSmtpServer({ ...options, host: '192.168.1.10' })).rejects.toThrow(/loopback only/);
  });
});

/** A hand-driven SMTP session: one command, one final reply line. */
class RawSmtp {
  private buffer = '';
  /** Every line the server sent. */
  readonly transcript: string[] = [];
  private readonly replies: string[] = [];
  private waiting: ((line: string) => void) | null = null;
  /** Settles when the server has closed the connection. */
  readonly closed: Promise<unknown>;

  private constructor(private readonly socket: Socket) {
    this.closed = once(socket, 'close');
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      for (let end = this.buffer.indexOf('\r\n'); end >= 0; end = this.buffer.indexOf('\r\n')) {
        const line = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        this.transcript.push(line);
        if (/^\d{3} /.test(line)) this.deliver(line); // "250-..." continuation lines are skipped
      }
    });
    socket.on('close', () => this.deliver('(closed)'));
  }

  static async open(port: number): Promise<RawSmtp> {
    const socket = connect(port, '127.0.0.1');
    const client = new RawSmtp(socket);
    await once(socket, 'connect');
    expect(await client.reply()).toMatch(/^220 /);
    return client;
  }

  command(line: string): Promise<string> {
    this.socket.write(`${line}\r\n`);
    return this.reply();
  }

  write(raw: string): void {
    this.socket.write(raw);
  }

  destroy(): void {
    this.socket.destroy();
  }

  async quit(): Promise<void> {
    await this.command('QUIT');
    this.socket.end();
  }

  private reply(): Promise<string> {
    const ready = this.replies.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve) => (this.waiting = resolve));
  }

  private deliver(line: string): void {
    const waiting = this.waiting;
    this.waiting = null;
    if (waiting) waiting(line);
    else this.replies.push(line);
  }
}
