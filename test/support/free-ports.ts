/**
 * Port ranges for tests that assign port blocks. Linux hands out ephemeral ports (32768-60999) to servers
 * that other tests open on port 0 and to outgoing connections, so a port inside that range can be taken
 * between a test's check and its pass: the pass then (correctly) skips the block and the test fails for a
 * reason of its neighbours'. A range below it, each port checked by listening on it, holds still.
 */
import { createServer } from 'node:net';

const BELOW_EPHEMERAL = { first: 20_000, span: 12_000 };

/** A range of `size` ports that nothing listens on now, below the ephemeral range. */
export async function freePortRange(size: number): Promise<[number, number]> {
  for (;;) {
    const first = BELOW_EPHEMERAL.first + Math.floor(Math.random() * (BELOW_EPHEMERAL.span - size));
    const ports = Array.from({ length: size }, (_, i) => first + i);
    if ((await Promise.all(ports.map(canListen))).every(Boolean)) return [first, first + size - 1];
  }
}

function canListen(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
