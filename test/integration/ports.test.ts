import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:net';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { parse } from 'dotenv';
import { cleanupTempDirs, createRepo, createTempDir } from '../support/git-fixtures.js';
import { createHarness, testConfig } from '../support/engine-harness.js';
import { releaseWorktree } from '../../src/reconcile/release.js';
import { PortLedger } from '../../src/ports/port-ledger.js';
import { managedEnv } from '../../src/agent/managed-env.js';
import { freePortRange } from '../support/free-ports.js';

const listeners: Server[] = [];
afterEach(async () => {
  await Promise.all(listeners.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
});
afterAll(cleanupTempDirs);

const VARS = { PORT: '{port}', API_PORT: '{port:1}', DEBUG_PORT: '{port:2}', AGENT_EMAIL: '{email}' };

async function listenOn(port: number, host: string): Promise<void> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  listeners.push(server);
}

const envOf = async (worktree: string) => parse(await readFile(join(worktree, '.env'), 'utf8'));

async function setup(names: string[], slots = 6, overrides: Parameters<typeof testConfig>[2] = {}) {
  const repo = await createRepo({ name: 'ports' });
  const worktrees = [];
  for (const name of names) worktrees.push(await repo.addWorktree(name));
  const [first, last] = await freePortRange(slots * 3);
  const stateDir = join(await createTempDir('ravi-ports-'), 'state');
  const harness = createHarness(testConfig(stateDir, [repo.path], { ports: { perWorktree: 3, first, last }, env: { vars: VARS }, ...overrides }));
  return { repo, worktrees, harness, first, last, stateDir };
}

describe('port blocks', () => {
  it('gives every worktree its own block, writes it into .env, and keeps it across passes and git worktree move', async () => {
    const { repo, worktrees, harness, first } = await setup(['a', 'b', 'c']);
    await harness.reconcile();
    const envs = await Promise.all(worktrees.map(envOf));
    const ports = envs.flatMap((env) => [env.PORT, env.API_PORT, env.DEBUG_PORT].map(Number));
    expect(new Set(ports).size).toBe(9);
    expect(Math.min(...ports)).toBe(first);
    for (const env of envs) expect([Number(env.API_PORT) - Number(env.PORT), Number(env.DEBUG_PORT) - Number(env.PORT)]).toEqual([1, 2]);
    expect((await harness.reconcile()).plan.actions).toEqual([]);
    const moved = join(repo.root, 'moved-a');
    await repo.moveWorktree(worktrees[0] as string, moved);
    await harness.reconcile();
    expect((await envOf(moved)).PORT).toBe(envs[0]?.PORT);
  });

  it('never hands out a port another program listens on (127.0.0.1 or every interface)', async () => {
    const { worktrees, harness, first } = await setup(['a', 'b'], 4);
    await listenOn(first + 1, '127.0.0.1'); // inside slot 0
    await listenOn(first + 3, '0.0.0.0'); // inside slot 1
    const report = await harness.reconcile();
    const envs = await Promise.all(worktrees.map(envOf));
    expect(envs.map((env) => Number(env.PORT)).sort()).toEqual([first + 6, first + 9]);
    expect(report.results.find((r) => r.action.type === 'assign-ports')?.note).toMatch(new RegExp(`skipped ${first}-${first + 2} \\(${first + 1} in use\\)`));
  });

  it('releases a block with its lease (teardown at once) and hands it to the next worktree', async () => {
    const { repo, worktrees, harness, stateDir } = await setup(['a', 'b'], 2);
    await harness.reconcile();
    const freed = (await envOf(worktrees[0] as string)).PORT;
    const report = await releaseWorktree({ config: harness.config, provider: harness.provider, logger: pino({ level: 'silent' }), worktree: worktrees[0] as string });
    expect(report.ports).toBe(`${freed}-${Number(freed) + 2}`);
    expect((await PortLedger.open(stateDir)).state().blocks.size).toBe(1);
    const next = await repo.addWorktree('c');
    await harness.reconcile();
    expect((await envOf(next)).PORT).toBe(freed);
  });

  it('says how many blocks are needed when the range is too small', async () => {
    const { harness } = await setup(['a', 'b', 'c'], 2);
    const report = await harness.reconcile();
    expect(report.plan.problems.map((p) => p.message)).toEqual([expect.stringMatching(/holds 2 block\(s\) of 3 port\(s\) and all are taken; 3 block\(s\) are needed \(9 ports\), 1 more than fit: widen ports\.range/)]);
  });

  it('shares one range between repos of one state dir without collisions', async () => {
    const { harness, first, last, stateDir } = await setup(['a', 'b'], 4);
    const other = await createRepo({ name: 'other' });
    const wt = await other.addWorktree('x');
    const second = createHarness(testConfig(stateDir, [other.path], { ports: { perWorktree: 3, first, last }, env: { vars: VARS } }));
    await harness.reconcile();
    await second.reconcile();
    const blocks = [...(await PortLedger.open(stateDir)).state().blocks.values()];
    expect(blocks).toHaveLength(3);
    expect(new Set(blocks.map((b) => b.first)).size).toBe(3);
    expect(blocks.map((b) => b.first)).toContain(Number((await envOf(wt)).PORT));
  });

  it('a config that only wants ports creates no identity', async () => {
    const { worktrees, harness } = await setup(['a'], 2, { env: { vars: { PORT: '{port}' } } });
    const report = await harness.reconcile();
    expect(report.results.map((r) => r.action.type).filter((t) => t !== 'claim-repo' && t !== 'ensure-excluded')).toEqual(['assign-ports', 'write-env']);
    expect(await harness.provider.listIdentities()).toEqual([]);
    expect(Object.keys(await envOf(worktrees[0] as string))).toEqual(['PORT']);
  });

  it('env and exec give an agent the same ports as its .env, with or without an identity', async () => {
    for (const vars of [VARS, { PORT: '{port}', API_PORT: '{port:1}' }]) {
      const { worktrees, harness } = await setup(['a', 'b'], 4, { env: { vars } });
      await harness.reconcile();
      for (const worktree of worktrees) {
        // From a subfolder, as an agent runs it.
        await mkdir(join(worktree, 'src'), { recursive: true });
        const managed = await managedEnv(harness.config, harness.provider, join(worktree, 'src'));
        const fromAgent = Object.fromEntries(managed.variables.map((v) => [v.key, v.value]));
        expect(fromAgent).toEqual(await envOf(worktree));
        expect(fromAgent['PORT']).toMatch(/^\d+$/);
        expect(managed.identity === null).toBe(!('AGENT_EMAIL' in vars));
      }
      // A worktree reconcile has not reached yet: told what to run, not handed a literal "{port}".
      const late = await (await createRepo({ name: 'late' })).addWorktree('late');
      const lateHarness = createHarness({ ...harness.config, repos: [] });
      await expect(managedEnv(lateHarness.config, lateHarness.provider, late)).rejects.toThrow(/no (port block|identity) yet\. Run: ravi-orchestrator reconcile --worktree/);
    }
  });
});

describe('status and ports in use', () => {
  it('reports a port of a block held by a program outside the worktree, and not the worktree\'s own server', async () => {
    const { portsInUse, describePortsInUse } = await import('../../src/ports/port-usage.js');
    const [first] = await freePortRange(3);
    const worktree = await createTempDir('ravi-ports-wt-');
    await listenOn(first + 1, '127.0.0.1'); // this test process: not inside `worktree`
    const uses = await portsInUse([first, first + 1, first + 2], worktree);
    expect(uses.map((u) => u.port)).toEqual([first + 1]);
    expect(describePortsInUse(uses)).toMatch(process.platform === 'linux' ? new RegExp(`port ${first + 1} is held by pid ${process.pid} \\(.+\\), outside this worktree`) : /is in use/);
    if (process.platform === 'linux') expect(describePortsInUse(await portsInUse([first + 1], process.cwd()))).toBeNull(); // its own server
  });
});
