/**
 * Who listens on a worktree's ports, for `status`: a block is never moved under a running server, but a
 * port taken by a program outside the worktree is reported. On Linux the kernel's socket tables
 * (/proc/net/tcp, tcp6) and each process's open sockets and working folder tell who; elsewhere a listen
 * probe only tells that the port is in use.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';
import { busyPorts } from './port-probe.js';

export interface PortInUse {
  readonly port: number;
  /** Null when the platform does not tell. */
  readonly pid: number | null;
  readonly command: string | null;
  /** Whether that process works inside the worktree (its own dev server); null when unknown. */
  readonly inWorktree: boolean | null;
}

export async function portsInUse(ports: readonly number[], worktreePath: string): Promise<PortInUse[]> {
  if (ports.length === 0) return [];
  const listening = await linuxListeners().catch(() => null);
  if (listening === null) return (await busyPorts(ports)).map((port) => ({ port, pid: null, command: null, inWorktree: null }));
  const wanted = ports.filter((port) => listening.has(port));
  if (wanted.length === 0) return [];
  const owners = await socketOwners(new Set(wanted.flatMap((port) => listening.get(port) ?? [])));
  const uses: PortInUse[] = [];
  for (const port of wanted) {
    const owner = (listening.get(port) ?? []).map((inode) => owners.get(inode)).find((o) => o !== undefined);
    const inWorktree = owner === undefined ? null : owner.cwd === worktreePath || owner.cwd.startsWith(`${worktreePath}/`);
    uses.push({ port, pid: owner?.pid ?? null, command: owner?.command ?? null, inWorktree });
  }
  return uses;
}

/** Listening TCP port -> socket inodes, from the kernel's tables (LISTEN is state 0A). */
async function linuxListeners(): Promise<Map<number, string[]>> {
  const listeners = new Map<number, string[]>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (table.endsWith('6') && error.code === 'ENOENT') return ''; // no IPv6
      throw error;
    });
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] !== '0A' || fields[1] === undefined || fields[9] === undefined) continue;
      const port = Number.parseInt(fields[1].split(':')[1] ?? '', 16);
      listeners.set(port, [...(listeners.get(port) ?? []), fields[9]]);
    }
  }
  return listeners;
}

/** Socket inode -> the process holding it (processes we may not inspect are skipped). */
async function socketOwners(inodes: ReadonlySet<string>): Promise<Map<string, { pid: number; command: string; cwd: string }>> {
  const owners = new Map<string, { pid: number; command: string; cwd: string }>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fds = await readdir(`/proc/${entry}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(`/proc/${entry}/fd/${fd}`).catch(() => '');
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode === undefined || !inodes.has(inode) || owners.has(inode)) continue;
      const [command, cwd] = await Promise.all([
        readFile(`/proc/${entry}/comm`, 'utf8').then((c) => c.trim(), () => '?'),
        readlink(`/proc/${entry}/cwd`).catch(() => ''),
      ]);
      owners.set(inode, { pid: Number(entry), command, cwd });
    }
    if (owners.size === inodes.size) break;
  }
  return owners;
}

/** One line for `status`, or null when every port is free or held by the worktree's own processes. */
export function describePortsInUse(uses: readonly PortInUse[]): string | null {
  const foreign = uses.filter((use) => use.inWorktree !== true);
  if (foreign.length === 0) return null;
  return foreign
    .map((use) => (use.pid === null ? `port ${use.port} is in use` : `port ${use.port} is held by pid ${use.pid} (${use.command}), outside this worktree`))
    .join('; ');
}
