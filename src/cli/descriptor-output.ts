/**
 * A standard stream's descriptor, written with write(2). On a pipe, process.stdout and process.stderr are each a
 * net.Socket, and making the first loads `net`: 4-5 ms of an agent command's start-up here. Node writes to pipes
 * and files synchronously on Linux anyway, and the text is out before the process exits. Where the descriptor is
 * non-blocking and its pipe full (EAGAIN), the rest, and every later write, goes through the stream `fallback`
 * makes (process.stdout), which waits for the reader: nothing is lost or reordered.
 */
import { writeSync } from 'node:fs';
import type { Output } from './io.js';

export class DescriptorOutput implements Output {
  readonly isTTY = false;
  readonly #fd: number;
  readonly #fallback: () => NodeJS.WritableStream;
  #handedOver: NodeJS.WritableStream | null = null;
  readonly #onError: Array<(error: NodeJS.ErrnoException) => void> = [];

  constructor(fd: number, fallback: () => NodeJS.WritableStream) {
    this.#fd = fd;
    this.#fallback = fallback;
  }

  write(text: string): boolean {
    if (this.#handedOver !== null) return this.#handedOver.write(text);
    const bytes = Buffer.from(text, 'utf8');
    let written = 0;
    try {
      while (written < bytes.length) written += writeSync(this.#fd, bytes, written);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') {
        // EPIPE (the reader is gone) and the like go where a stream's 'error' event would (io.ts's guard).
        if (this.#onError.length === 0) throw error;
        for (const listener of this.#onError) listener(error as NodeJS.ErrnoException);
        return false;
      }
      this.#handedOver = this.#fallback();
      for (const listener of this.#onError) this.#handedOver.on('error', listener);
      return this.#handedOver.write(bytes.subarray(written));
    }
    return true;
  }

  on(event: 'error', listener: (error: NodeJS.ErrnoException) => void): this {
    this.#onError.push(listener);
    this.#handedOver?.on(event, listener);
    return this;
  }
}
