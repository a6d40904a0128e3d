/**
 * Server-sent events: one long response per open page. The browser's EventSource reconnects by itself
 * (after `retry` ms), so a dropped connection costs nothing but a fresh snapshot on reconnect.
 */
import type { ServerResponse } from 'node:http';

const HEARTBEAT_MS = 25_000;

export class SseHub {
  readonly #clients = new Set<ServerResponse>();
  readonly #heartbeat: NodeJS.Timeout;

  constructor() {
    // A comment line now and then keeps proxies and idle-timeouts from closing a quiet stream.
    this.#heartbeat = setInterval(() => this.#write(': keep-alive\n\n'), HEARTBEAT_MS);
    this.#heartbeat.unref();
  }

  get size(): number {
    return this.#clients.size;
  }

  open(response: ServerResponse, first?: { event: string; data: unknown }): void {
    response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    response.write('retry: 2000\n\n');
    if (first !== undefined) response.write(frame(first.event, first.data));
    this.#clients.add(response);
    response.on('close', () => this.#clients.delete(response));
  }

  send(event: string, data: unknown): void {
    this.#write(frame(event, data));
  }

  close(): void {
    clearInterval(this.#heartbeat);
    for (const client of this.#clients) client.end();
    this.#clients.clear();
  }

  #write(chunk: string): void {
    for (const client of this.#clients) client.write(chunk);
  }
}

/** JSON never holds a raw newline, so one `data:` line per event is always well-formed. */
function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
