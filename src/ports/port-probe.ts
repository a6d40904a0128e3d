/**
 * Is a port free to hand out? Tried the way a dev server would take it: listening on 127.0.0.1, on every
 * IPv4 interface and (where the machine has IPv6) on every IPv6 one. Any of them already taken means a
 * program is there (Linux refuses the wildcard while a specific address is bound; macOS the reverse), so
 * the port is busy. Nothing stays open: each probe closes at once.
 */
import { createRequire } from 'node:module';

// Required at the first probe, not imported: this module is bundled into the apply steps, which every pass that
// writes loads, and node:net took 4 ms of a cold local pass that probes no port (a config without `ports`).
type NodeNet = typeof import('node:net');
let nodeNet: NodeNet | undefined;
const net = (): NodeNet => (nodeNet ??= createRequire(import.meta.url)('node:net') as NodeNet);

const HOSTS = ['127.0.0.1', '0.0.0.0', '::'] as const;

export async function portIsFree(port: number): Promise<boolean> {
  for (const host of HOSTS) {
    const outcome = await tryListen(port, host);
    if (outcome === 'busy') return false;
  }
  return true;
}

/** The ports of `ports` that a program listens on. */
export async function busyPorts(ports: readonly number[]): Promise<number[]> {
  const busy: number[] = [];
  for (const port of ports) if (!(await portIsFree(port))) busy.push(port);
  return busy;
}

function tryListen(port: number, host: string): Promise<'free' | 'busy' | 'unsupported'> {
  return new Promise((resolve) => {
    const server = net().createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      // No IPv6 on this machine (or that address family is off): nothing can listen there either.
      if (error.code === 'EAFNOSUPPORT' || error.code === 'EADDRNOTAVAIL') resolve('unsupported');
      else resolve('busy'); // EADDRINUSE, or EACCES for a port we may not take: not ours to hand out
    });
    server.listen({ port, host, exclusive: true, ipv6Only: host === '::' }, () => server.close(() => resolve('free')));
  });
}
