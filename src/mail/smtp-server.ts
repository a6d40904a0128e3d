/**
 * The local provider's SMTP server: accepts mail on loopback for the local identities' addresses and
 * stores one copy per recipient identity. A 250 is sent only once every copy is durable on disk.
 */
import { createServer, isIP, type Server, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { AddressObject, EmailAddress, ParsedMail } from 'mailparser';
import type { Logger } from '../util/logger.js';
import type { SMTPServer, SMTPServerAddress, SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import type { ConnectionLimits } from '../util/connection-limits.js';
import type { InboxStore, NewEmail } from './inbox-store.js';

export interface SmtpServerOptions {
  /** Loopback only. @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  /** Larger messages are refused with 552. @default 10 MiB */
  maxMessageBytes?: number;
  /** The identity uuid owning an address (given lowercased, without a `+tag`), or null when none does. */
  resolveRecipient: (address: string) => Promise<string | null>;
  store: InboxStore;
  logger: Logger;
  /** @default SMTP_LIMITS */
  limits?: SmtpLimits;
  /** How long a session open at close may take to finish its message before it is cut. @default 5 s */
  closeTimeoutMs?: number;
}

export type SmtpLimits = Pick<ConnectionLimits, 'maxConnections' | 'idleTimeoutMs'>;

/**
 * Sessions at once (more get `421 Too many connected clients` and are closed) and the idle time after which a
 * session is closed with `421 Timeout`. 64 leaves room for an app's test suite sending in parallel.
 */
export const SMTP_LIMITS: SmtpLimits = { maxConnections: 64, idleTimeoutMs: 30_000 };

export interface RunningServer {
  readonly host: string;
  readonly port: number;
  /** Stops listening and waits for open sessions (a few seconds at most); idempotent. */
  close(): Promise<void>;
}

const DEFAULT_MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

/**
 * mailparser, loaded when the first SMTP client connects (see the listener below), not at start: it
 * brings about 1.3 MB of source (iconv-lite, libmime, encoding-japanese, htmlparser2, he, linkify-it, ...) that
 * took 140-165 ms to load on Node 20 and stayed in the heap of every daemon and `mail serve` on the local provider,
 * mail or none. A failed load is tried again by the next session.
 */
let mailParser: Promise<typeof import('mailparser')> | null = null;

function loadMailParser(): Promise<typeof import('mailparser')> {
  mailParser ??= import('mailparser').catch((error: unknown) => {
    mailParser = null;
    throw error;
  });
  return mailParser;
}

const CLOSE_TIMEOUT_MS = 5_000;

export async function startSmtpServer(options: SmtpServerOptions): Promise<RunningServer> {
  const host = assertLoopbackHost(options.host ?? '127.0.0.1', 'SMTP server');
  const maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const limits = options.limits ?? SMTP_LIMITS;
  const closeTimeoutMs = options.closeTimeoutMs ?? CLOSE_TIMEOUT_MS;
  const { logger, store } = options;
  // The identity each accepted RCPT resolved to; keyed by the envelope entry smtp-server keeps.
  const accepted = new WeakMap<SMTPServerAddress, string>();

  /** smtp-server set up as ours: made when the first client connects (the listener below). */
  function createSmtp({ SMTPServer }: typeof import('smtp-server')): SMTPServer {
    const server = new SMTPServer({
      // Loopback only, so no STARTTLS and no certificate: nothing crosses a network.
      disabledCommands: ['STARTTLS'],
      // Apps configured with SMTP credentials still deliver: any AUTH is accepted, none is required.
      authOptional: true,
      allowInsecureAuth: true,
      size: maxBytes,
      maxClients: limits.maxConnections,
      socketTimeout: limits.idleTimeoutMs,
      closeTimeout: closeTimeoutMs,
      // smtp-server also answers `421 HTTP requests not allowed` to a first line like `POST / HTTP/1.1` and closes
      // the session, and `421 You talk too soon` to a client that writes before the greeting: a web page posting
      // a form to this port cannot smuggle SMTP commands in its body (proven in test/integration/smtp-cross-protocol.test.ts).
      disableReverseLookup: true,
      banner: 'ravi-orchestrator local agent inboxes',
      logger: false, // its debug log echoes commands; we log what we choose below
      onAuth: (auth, _session, callback) => callback(null, { user: auth.username ?? 'anonymous' }),
      onRcptTo(address, _session, callback) {
        const mailbox = mailboxOf(address.address);
        options.resolveRecipient(mailbox).then(
          (uuid) => {
            if (uuid === null) return callback(smtpError(550, `5.1.1 no such local agent mailbox <${mailbox}>`));
            accepted.set(address, uuid);
            callback();
          },
          (error: unknown) => {
            logger.error({ err: error, to: mailbox }, 'cannot look up the recipient');
            callback(smtpError(451, '4.3.0 cannot look up the recipient now; try again later'));
          },
        );
      },
      onData(stream, session, callback) {
        deliver(stream, session).then(() => callback(), (error: Error) => callback(error));
      },
    });
    server.on('error', (error: NodeJS.ErrnoException) => {
      // Mostly clients that hang up mid-session: their transaction simply was not acknowledged.
      logger.debug({ code: error.code, message: error.message }, 'SMTP connection error');
    });
    return server;
  }

  async function deliver(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<void> {
    const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
    const raw = await readCapped(stream, maxBytes).catch((error: unknown) => {
      logger.info({ from }, 'the client left before the end of the message; nothing stored');
      throw error;
    });
    if (raw === null || stream.sizeExceeded) {
      logger.info({ from, size: stream.byteLength, limit: maxBytes }, 'refused an oversized message');
      throw smtpError(552, `5.3.4 message exceeds the limit of ${maxBytes} bytes`);
    }
    // One copy per identity, even when two of its addresses were named.
    const recipients = new Map<string, string>();
    for (const rcpt of session.envelope.rcptTo) {
      const uuid = accepted.get(rcpt);
      if (uuid !== undefined && !recipients.has(uuid)) recipients.set(uuid, rcpt.address); // as the sender wrote it
    }
    let mail: ParsedMail;
    try {
      const { simpleParser } = await loadMailParser();
      mail = await simpleParser(raw, { keepCidLinks: true, skipTextToHtml: true, checksumAlgo: false });
    } catch (error) {
      logger.error({ err: error, from, size: raw.length }, 'cannot parse a message');
      throw smtpError(451, '4.6.0 cannot parse the message now; try again later');
    }
    try {
      await Promise.all([...recipients].map(([uuid, address]) => store.addEmail(uuid, toNewEmail(mail, address, from))));
    } catch (error) {
      // Some copies may be stored; the client's retry can duplicate them, but nothing acknowledged is lost.
      logger.error({ err: error, from, to: [...recipients.values()] }, 'cannot store a message');
      throw smtpError(451, '4.3.0 cannot store the message now; try again later');
    }
    logger.info({ from, to: [...recipients.values()], size: raw.length, messageId: mail.messageId ?? null }, 'delivered a message');
  }

  // The port is ours at once, but smtp-server is loaded and made when the first client connects, then handed each
  // socket as if its own listener had accepted it: it brings nodemailer's shared code and node:tls, and builds a TLS
  // context when made, STARTTLS off or not: 42-45 ms of CPU on Node 20 (57-60 on Node 24) that delayed the
  // daemon's first pass, and about 3 MB that an idle local daemon held whether mail came or not. The first session
  // waits that long once. Paused until then: nothing is read before smtp-server takes the socket, so a client that
  // talks before the greeting is still refused.
  let smtp: Promise<SMTPServer> | null = null;
  const loadSmtp = (): Promise<SMTPServer> =>
    (smtp ??= import('smtp-server').then(createSmtp).catch((error: unknown) => {
      smtp = null; // the next client tries again
      throw error;
    }));
  const sockets = new Set<Socket>();
  const listener = createServer({ pauseOnConnect: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    const beforeHandOver = (error: NodeJS.ErrnoException) => logger.debug({ code: error.code, message: error.message }, 'SMTP client left before its session');
    socket.on('error', beforeHandOver);
    loadSmtp().then(
      (server) => {
        socket.off('error', beforeHandOver);
        if (socket.destroyed) return;
        server.server.emit('connection', socket);
        // A session's greeting waits 100 ms (smtp-server's check for clients that talk too soon), in which the
        // process is idle: the first session's parser loads then, not after its message. On a timer: smtp-server
        // arms that 100 ms in a setImmediate after the accept, and a load (synchronous, about 100 ms) before it
        // would add to the wait. A failure shows at delivery.
        if (mailParser === null) setTimeout(() => void loadMailParser().catch(() => undefined), 0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'cannot load the SMTP server');
        sayAndClose(socket, '421 4.3.0 the mail server cannot start now; try again later');
      },
    );
  });
  const port = await listen(listener, host, options.port);
  let closing: Promise<void> | null = null;
  return {
    host,
    port,
    close: () => (closing ??= closeAll()),
  };

  /**
   * Stops listening. A session open then may finish the message it is sending; any other command is answered
   * `421 Server shutting down` (smtp-server, once closed), and what is still open after closeTimeoutMs is cut, as
   * smtp-server would do for the sockets its own listener accepted.
   */
  async function closeAll(): Promise<void> {
    const closed = new Promise<void>((resolve) => listener.close(() => resolve()));
    // A load in flight hands its sockets over first; they are then closed with the rest.
    (await smtp?.catch(() => null))?.close();
    const deadline = setTimeout(() => {
      for (const socket of sockets) sayAndClose(socket, '421 4.4.2 Server shutting down');
    }, closeTimeoutMs);
    await closed;
    clearTimeout(deadline);
  }
}

/** A last reply, then the socket closed: once the reply has left, or after a second if it cannot (a client that does not read). */
function sayAndClose(socket: Socket, reply: string): void {
  socket.end(`${reply}\r\n`, () => socket.destroy());
  setTimeout(() => socket.destroy(), 1_000).unref();
}

/**
 * The mailbox an address delivers to: lowercased, and `name+tag@domain` goes to `name@domain` (plus-addressing,
 * as Gmail, Fastmail and Postfix's `recipient_delimiter = +` do), so a test can sign up twice with one agent.
 * Identity names never hold a `+` (naming.ts), so no mailbox is hidden by this.
 */
export function mailboxOf(address: string): string {
  const lowered = address.toLowerCase();
  const at = lowered.lastIndexOf('@');
  const local = at < 0 ? lowered : lowered.slice(0, at);
  const plus = local.indexOf('+');
  return plus <= 0 ? lowered : `${local.slice(0, plus)}${lowered.slice(local.length)}`;
}

/** Refuses any host but loopback: this server takes mail without authentication or TLS. */
export function assertLoopbackHost(host: string, what: string): string {
  const loopback = host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.')) || /^::ffff:127\./i.test(host);
  if (!loopback) throw new Error(`The local ${what} listens on loopback only (127.0.0.1, ::1 or localhost), got "${host}": it accepts messages without authentication`);
  return host;
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(new Error(`Cannot listen for SMTP on ${host}:${port}: ${error.message}`, { cause: error }));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const bound = server.address();
      resolve(typeof bound === 'object' && bound !== null ? bound.port : port);
    });
  });
}

/** The whole message, or null past the limit (then the rest is drained, so the client reads our 552). */
async function readCapped(stream: Readable, maxBytes: number): Promise<Buffer | null> {
  let chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total <= maxBytes) chunks.push(chunk);
    else chunks = [];
  }
  return total > maxBytes ? null : Buffer.concat(chunks, total);
}

function toNewEmail(mail: ParsedMail, recipient: string, envelopeFrom: string): NewEmail {
  return {
    from_email: mail.from?.value[0]?.address ?? envelopeFrom,
    to_email: recipient,
    cc: addressList(mail.cc),
    subject: mail.subject ?? '',
    text_content: mail.text ?? '',
    html_content: typeof mail.html === 'string' ? mail.html : '',
    attachments: mail.attachments.map((a) => ({ filename: a.filename ?? null, content_type: a.contentType, size: a.size })),
    message_id: mail.messageId ?? null,
  };
}

/** Bare addresses, comma separated, like `from_email` (group members included). */
function addressList(header: AddressObject | AddressObject[] | undefined): string {
  const flatten = (entries: EmailAddress[]): string[] => entries.flatMap((e) => (e.group ? flatten(e.group) : e.address ? [e.address] : []));
  return (header === undefined ? [] : Array.isArray(header) ? header : [header]).flatMap((h) => flatten(h.value)).join(', ');
}

function smtpError(responseCode: number, message: string): Error & { responseCode: number } {
  return Object.assign(new Error(message), { responseCode });
}
