/**
 * The identity pool with the real CLI, against the fake Ravi API in its real-API default (no identity
 * delete, no mark-read, bare arrays) and against the local provider, where deletion works.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { cleanupTempDirs, createRepo, createTempDir, type TestRepo } from '../support/git-fixtures.js';
import type { FakeRaviServer } from '../support/fake-ravi-server.js';
import { fakeRaviPerTest } from '../support/fake-ravi-per-test.js';
import { runBuiltCli } from '../support/cli.js';

afterAll(cleanupTempDirs);

let server: FakeRaviServer;
fakeRaviPerTest((started) => (server = started));

async function raviRepo(pool: Record<string, unknown>): Promise<{ repo: TestRepo; home: string; cli: (args: string[], cwd?: string) => ReturnType<typeof runBuiltCli> }> {
  const repo = await createRepo({ name: 'pool' });
  const home = await createTempDir('ravi-pool-home-');
  const credentials = join(home, 'ravi.json');
  await writeFile(credentials, JSON.stringify({ management_key: server.managementKey }), { mode: 0o600 });
  await writeFile(join(repo.path, 'ravi-orchestrator.config.json'), JSON.stringify({ provider: { kind: 'ravi', apiUrl: server.url, credentialsFile: credentials }, orphans: { grace: 0 }, pool }));
  return { repo, home, cli: (args, cwd = repo.path) => runBuiltCli(args, { cwd, home }) };
}

const emailOf = async (worktree: string) => parse(await readFile(join(worktree, '.env'), 'utf8')).AGENT_EMAIL;
const creates = () => server.calls.filter((c) => c.method === 'POST' && c.path === '/api/identities/').length;
const deletes = () => server.calls.filter((c) => c.method === 'DELETE').length;

describe('the pool on Ravi (identities are permanent)', () => {
  it('a removed worktree\'s identity goes idle (two passes, exit 0, no DELETE); a new worktree leases it with no create', async () => {
    const { repo, cli } = await raviRepo({ quarantine: 0 });
    const first = await repo.addWorktree('first');
    expect((await cli(['reconcile'])).exitCode).toBe(0);
    const email = await emailOf(first);
    await repo.removeWorktree(first, { force: true });
    const [one, two] = [await cli(['reconcile']), await cli(['reconcile'])];
    expect([one.exitCode, two.exitCode]).toEqual([0, 0]);
    expect(deletes()).toBe(0); // keepIdle defaults to every identity on Ravi: nothing is even tried
    const status = JSON.parse((await cli(['status', '--json'])).stdout) as { pool: { identity: string; state: string }[] };
    expect(status.pool).toEqual([expect.objectContaining({ identity: 'ws-pool-first', state: 'available' })]);

    const before = creates();
    const second = await repo.addWorktree('second');
    const plan = await cli(['plan']);
    expect(plan.stdout).toMatch(/> lease ws-pool-first from the pool/);
    expect((await cli(['reconcile'])).exitCode).toBe(0);
    expect(creates()).toBe(before);
    expect(await emailOf(second)).toBe(email);
    // A fresh scoped key for the new lease, in the new worktree.
    const scoped = JSON.parse(await readFile(join(second, '.ravi', 'config.json'), 'utf8')) as { identity_key: string; identity_name: string };
    expect(scoped).toMatchObject({ identity_name: 'ws-pool-first', identity_key: expect.stringMatching(/^ravi_id_/) });
  });

  it('with keepIdle 0, one refused DELETE is remembered: passes exit 0, the identity stays idle, no DELETE is tried again', async () => {
    const { repo, cli } = await raviRepo({ keepIdle: 0 });
    const wt = await repo.addWorktree('brief');
    expect((await cli(['reconcile'])).exitCode).toBe(0);
    await repo.removeWorktree(wt, { force: true });
    const first = await cli(['reconcile']);
    const second = await cli(['reconcile']);
    expect([first.exitCode, second.exitCode]).toEqual([0, 0]);
    expect(first.stdout).toMatch(/refuses to delete identities \(HTTP 405\)/);
    expect(deletes()).toBe(1);
    expect(server.identities()).toHaveLength(1);
    const status = JSON.parse((await cli(['status', '--json'])).stdout) as { pool: unknown[]; deleteRefused: { status: number } | null };
    expect(status.pool).toHaveLength(1);
    expect(status.deleteRefused).toMatchObject({ status: 405 });
  });

  it('an agent sees only its own lease\'s messages, and --mark-read is kept on our side (no PATCH)', async () => {
    const { repo, cli } = await raviRepo({ quarantine: 0 });
    const old = await repo.addWorktree('old-task');
    expect((await cli(['reconcile'])).exitCode).toBe(0);
    const uuid = (JSON.parse(await readFile(join(old, '.ravi', 'config.json'), 'utf8')) as { identity_uuid: string }).identity_uuid;
    server.addEmail(uuid, { subject: 'for the old task', text_content: 'Your code is 111111', created_dt: new Date(Date.now() - 60_000).toISOString() });
    await repo.removeWorktree(old, { force: true });
    expect((await cli(['reconcile'])).exitCode).toBe(0);
    const fresh = await repo.addWorktree('new-task');
    expect((await cli(['reconcile'])).exitCode).toBe(0);
    expect(JSON.parse(await readFile(join(fresh, '.ravi', 'config.json'), 'utf8'))).toMatchObject({ identity_uuid: uuid });

    const none = await cli(['otp'], fresh);
    expect(none.exitCode).toBe(3);
    expect(none.stdout).not.toContain('111111');
    expect(JSON.parse((await cli(['inbox', '--json'], fresh)).stdout)).toEqual([]);

    server.addEmail(uuid, { subject: 'first', text_content: 'Your code is 222222', created_dt: new Date(Date.now() + 1_000).toISOString() });
    server.addEmail(uuid, { subject: 'second', text_content: 'Your code is 333333', created_dt: new Date(Date.now() + 2_000).toISOString() });
    const taken = await cli(['otp', '--mark-read'], fresh);
    expect(taken.stdout.trim()).toBe('333333');
    const next = await cli(['otp', '--mark-read'], fresh);
    expect(next.stdout.trim()).toBe('222222');
    expect((await cli(['otp', '--mark-read'], fresh)).exitCode).toBe(3);
    expect((await cli(['otp'], fresh)).stdout.trim()).toBe('333333'); // without --mark-read: the newest of the lease
    expect(server.calls.filter((c) => c.method === 'PATCH')).toEqual([]);
    expect(server.calls.filter((c) => c.path === '/api/email-messages/').every((c) => typeof c.query.created_after === 'string')).toBe(true);
  });
});

describe('the pool on the local provider (deletion works)', () => {
  it('keeps idle identities up to keepIdle, deletes the rest, and leases the kept ones to new worktrees', async () => {
    const repo = await createRepo({ name: 'lp' });
    const home = await createTempDir('ravi-pool-local-');
    await writeFile(join(repo.path, 'ravi-orchestrator.config.json'), JSON.stringify({ orphans: { grace: 0 }, pool: { quarantine: 0, keepIdle: 1 }, mail: { enabled: false } }));
    const cli = (args: string[], cwd = repo.path) => runBuiltCli(args, { cwd, home });
    const worktrees = [await repo.addWorktree('a'), await repo.addWorktree('b'), await repo.addWorktree('c')];
    expect((await cli(['reconcile'])).exitCode).toBe(0);
    const emails = await Promise.all(worktrees.map(emailOf));
    for (const wt of worktrees) await repo.removeWorktree(wt, { force: true });
    const sweep = await cli(['reconcile']);
    expect(sweep.exitCode).toBe(0);
    expect(sweep.stdout).toMatch(/3 released, 0 updated, 2 deleted/);
    const status = JSON.parse((await cli(['status', '--json'])).stdout) as { pool: { email: string }[] };
    expect(status.pool).toHaveLength(1);
    expect(emails).toContain(status.pool[0]?.email);
    const next = await repo.addWorktree('d');
    const lease = await cli(['reconcile']);
    expect(lease.stdout).toMatch(/0 created, 1 leased/);
    expect(await emailOf(next)).toBe(status.pool[0]?.email);
  });
});
