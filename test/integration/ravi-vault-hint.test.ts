/**
 * listVaultSecrets with a remembered vault uuid: the secrets request goes out while the identity listing
 * is in flight, and a stale hint never yields another identity's secrets. A recording proxy in front of the
 * fake Ravi server logs when each request starts and ends, and can hold requests until two have arrived,
 * so "both at once" is shown by construction (a sequential client would never get past the gate).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeRaviServer, type FakeRaviServer } from '../support/fake-ravi-server.js';
import { createRaviProvider } from '../../src/providers/ravi/ravi-provider.js';
import { VAULT_HINTS_FILE } from '../../src/providers/ravi/vault-hints.js';
import type { Provider } from '../../src/providers/types.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Proxy {
  url: string;
  /** `start GET /api/identities/`, `end GET /api/secrets/ <identity>`, ... in the order they happened. */
  timeline: string[];
  /** Hold every request until this many have arrived (null: pass straight through). */
  gate: number | null;
}

async function startProxy(target: string): Promise<Proxy> {
  const proxy: Proxy = { url: '', timeline: [], gate: null };
  let held: (() => void)[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', target);
    const label = `${req.method} ${url.pathname}${url.searchParams.has('identity') ? ` ${url.searchParams.get('identity')}` : ''}`;
    proxy.timeline.push(`start ${label}`);
    res.on('close', () => proxy.timeline.push(`end ${label}`));
    const forward = (): void => {
      const upstream = request(url, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      req.pipe(upstream);
    };
    if (proxy.gate === null) return forward();
    held.push(forward);
    if (held.length >= proxy.gate) for (const release of held.splice(0)) release();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cleanups.push(async () => {
    held = [];
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return proxy;
}

async function setup() {
  const server: FakeRaviServer = await startFakeRaviServer();
  cleanups.push(() => server.close());
  const proxy = await startProxy(server.url);
  const dir = await mkdtemp(join(tmpdir(), 'ravi-vault-hint-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const credentialsFile = join(dir, 'credentials.json');
  await writeFile(credentialsFile, JSON.stringify({ management_key: server.managementKey }), { mode: 0o600 });
  const stateDir = join(dir, 'state');
  await mkdir(stateDir);
  const retry = { attempts: 2, baseMs: 1, capMs: 2 };
  // A new provider is what a new CLI process has: nothing in memory, only the state dir (if any).
  const newProcess = (options: { stateless?: boolean } = {}): Provider =>
    createRaviProvider({ apiUrl: proxy.url, credentialsFile, provisionPhone: false, retry, ...(options.stateless ? {} : { stateDir }) });
  const vault = server.addIdentity({ name: 'team-vault' });
  server.addIdentity({ name: 'ws-app-a' });
  server.setSecret(vault.uuid, 'OPENAI_API_KEY', 'sk-first');
  return { server, proxy, stateDir, newProcess, vault };
}

const starts = (timeline: string[]): string[] => timeline.filter((entry) => entry.startsWith('start '));

describe('listVaultSecrets with a remembered vault uuid', () => {
  it('lists, then reads the vault, the first time; afterwards both requests are in flight at once', async () => {
    const { proxy, stateDir, newProcess, vault } = await setup();
    expect(await newProcess().listVaultSecrets('team-vault')).toEqual(new Map([['OPENAI_API_KEY', 'sk-first']]));
    expect(proxy.timeline).toEqual([
      'start GET /api/identities/',
      'end GET /api/identities/',
      `start GET /api/secrets/ ${vault.uuid}`,
      `end GET /api/secrets/ ${vault.uuid}`,
    ]);
    expect(await readFile(join(stateDir, VAULT_HINTS_FILE), 'utf8')).toContain(vault.uuid);

    proxy.timeline.length = 0;
    proxy.gate = 2; // Neither request is answered until both have arrived.
    expect(await newProcess().listVaultSecrets('team-vault')).toEqual(new Map([['OPENAI_API_KEY', 'sk-first']]));
    expect(proxy.timeline.slice(0, 2).sort()).toEqual(['start GET /api/identities/', `start GET /api/secrets/ ${vault.uuid}`]);
    expect(proxy.timeline).toHaveLength(4);
  });

  it('a vault given as a uuid needs no remembered hint', async () => {
    const { proxy, newProcess, vault } = await setup();
    proxy.gate = 2;
    expect(await newProcess({ stateless: true }).listVaultSecrets(vault.uuid)).toEqual(new Map([['OPENAI_API_KEY', 'sk-first']]));
    expect(starts(proxy.timeline)).toHaveLength(2);
  });

  it('a stale hint (the vault identity renamed away, a new one named team-vault) gives the new vault\'s secrets', async () => {
    const { server, proxy, stateDir, newProcess, vault } = await setup();
    await newProcess().listVaultSecrets('team-vault');
    // The web UI's rename (the fake has no update route; addIdentity returned its stored record): the old
    // identity still exists and still answers for its own secrets.
    vault.name = 'old-vault';
    const replacement = server.addIdentity({ name: 'team-vault' });
    server.setSecret(replacement.uuid, 'OPENAI_API_KEY', 'sk-second');
    proxy.timeline.length = 0;

    expect(await newProcess().listVaultSecrets('team-vault')).toEqual(new Map([['OPENAI_API_KEY', 'sk-second']]));
    expect(starts(proxy.timeline).sort()).toEqual([
      'start GET /api/identities/',
      `start GET /api/secrets/ ${replacement.uuid}`,
      `start GET /api/secrets/ ${vault.uuid}`, // the hinted read, fetched and thrown away
    ].sort());
    const hints = await readFile(join(stateDir, VAULT_HINTS_FILE), 'utf8');
    expect(hints).toContain(replacement.uuid);
    expect(hints).not.toContain(vault.uuid);
  });

  it('a hinted read that fails falls back to the sequential read', async () => {
    const { server, proxy, newProcess, vault } = await setup();
    await newProcess().listVaultSecrets('team-vault');
    server.failNext(1, { status: 404, body: { detail: 'Not found.' } }, { method: 'GET', pathPrefix: '/api/secrets/' });
    proxy.timeline.length = 0;
    expect(await newProcess().listVaultSecrets('team-vault')).toEqual(new Map([['OPENAI_API_KEY', 'sk-first']]));
    expect(starts(proxy.timeline).filter((entry) => entry.includes(vault.uuid))).toHaveLength(2);
  });

  it('a corrupt or hand-edited hints file costs a sequential call, never an error or a request with its content', async () => {
    const { proxy, stateDir, newProcess, vault } = await setup();
    const key = `${proxy.url} team-vault`;
    await writeFile(join(stateDir, VAULT_HINTS_FILE), JSON.stringify({ version: 1, hints: { [key]: '../../evil?x=1' } }));
    expect(await newProcess().listVaultSecrets('team-vault')).toEqual(new Map([['OPENAI_API_KEY', 'sk-first']]));
    await writeFile(join(stateDir, VAULT_HINTS_FILE), '{not json');
    expect(await newProcess().listVaultSecrets('team-vault')).toEqual(new Map([['OPENAI_API_KEY', 'sk-first']]));
    expect(starts(proxy.timeline).filter((entry) => entry.startsWith('start GET /api/secrets/'))).toEqual([
      `start GET /api/secrets/ ${vault.uuid}`,
      `start GET /api/secrets/ ${vault.uuid}`,
    ]);
  });
});
