/**
 * A pass that creates identities does not wait for the vault (late-vault.ts): without a remembered vault uuid the
 * secrets can only be asked for once the identity listing has answered, and the creates go out meanwhile. The
 * fake Ravi server holds the secrets' answer back, so "meanwhile" is shown by the server's own record of when
 * each call started and ended; the env files still get the vault's secrets, and the vault's problems are reported
 * as a pass that waited would report them. A pass whose answer could change its plan still waits.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { cleanupTempDirs, createRepo, createTempDir } from '../support/git-fixtures.js';
import type { FakeRaviServer, RecordedCall } from '../support/fake-ravi-server.js';
import { fakeRaviPerTest } from '../support/fake-ravi-per-test.js';
import { createHarness, raviProviderConfig, testConfig } from '../support/engine-harness.js';
import { createRaviProvider } from '../../src/providers/ravi/ravi-provider.js';
import type { RetryPolicy } from '../../src/providers/ravi/retry.js';
import type { Config } from '../../src/config/types.js';
import { readAudit } from '../../src/audit/audit-log.js';

afterAll(cleanupTempDirs);

let server: FakeRaviServer;
fakeRaviPerTest((started) => (server = started));

const FAST_RETRY: Partial<RetryPolicy> = { baseMs: 1, capMs: 5, attempts: 4 };
const SECRETS = { method: 'GET', pathPrefix: '/api/secrets/' };

async function setup(names: string[], secrets: string[] = ['OPENAI_API_KEY'], retry: Partial<RetryPolicy> = FAST_RETRY) {
  const vault = server.addIdentity({ name: 'team-vault' });
  server.setSecret(vault.uuid, 'OPENAI_API_KEY', 'sk-first');
  const repo = await createRepo({ name: 'app' });
  const worktrees: string[] = [];
  for (const name of names) worktrees.push(await repo.addWorktree(name));
  const base = await createTempDir('ravi-late-vault-');
  const credentialsFile = join(base, 'ravi-config.json');
  await writeFile(credentialsFile, JSON.stringify({ management_key: server.managementKey }), { mode: 0o600 });
  const config: Config = testConfig(join(base, 'state'), [repo.path], {
    provider: raviProviderConfig(server.url, credentialsFile),
    env: { secrets },
    secrets: { vault: 'team-vault' },
  });
  // No state dir for the provider: no vault uuid is remembered between processes, as on a first run.
  const newProcess = () => createHarness(config, createRaviProvider({ apiUrl: server.url, credentialsFile, provisionPhone: false, retry }));
  return { vault, repo, worktrees, newProcess };
}

const creates = (): RecordedCall[] => server.calls.filter((call) => call.method === 'POST' && call.path === '/api/identities/');
const secretsCall = (): RecordedCall => {
  const calls = server.calls.filter((call) => call.method === 'GET' && call.path === '/api/secrets/');
  expect(calls).toHaveLength(1);
  return calls[0] as RecordedCall;
};
const envOf = async (worktree: string) => parse(await readFile(join(worktree, '.env'), 'utf8'));

describe('a pass that creates identities and the vault', () => {
  it('asks for the identities while the vault answers, and writes its secrets into every env file', async () => {
    const { worktrees, newProcess } = await setup(['a', 'b', 'c']);
    server.failNext(1, { delayMs: 500 }, SECRETS);
    const harness = newProcess();
    const report = await harness.reconcile();
    expect(report.results.filter((result) => result.status !== 'done')).toEqual([]);
    const vaultAnswered = secretsCall().endedAt as number;
    expect(creates()).toHaveLength(3);
    for (const create of creates()) expect(create.startedAt).toBeLessThan(vaultAnswered);
    for (const worktree of worktrees) expect((await envOf(worktree)).OPENAI_API_KEY).toBe('sk-first');
    expect(report.observed.vault).toEqual({ ok: true, value: new Map([['OPENAI_API_KEY', 'sk-first']]) });
    expect(report.plan.problems).toEqual([]);
    // What each write added, the secret among it, as a pass that waited would have said (results and audit trail).
    const writes = report.results.flatMap((result) => (result.action.type === 'write-env' ? [result.action] : []));
    expect(writes.map((write) => write.changedKeys)).toEqual(worktrees.map(() => ['AGENT_EMAIL', 'AGENT_PHONE', 'OPENAI_API_KEY']));
    const audited = (await readAudit(harness.config.stateDir)).filter((record) => record.type === 'env.written');
    expect(audited.map((record) => record.detail)).toEqual(worktrees.map(() => expect.objectContaining({ secretsInjected: ['OPENAI_API_KEY'] })));
  });

  it('reports a secret the vault lacks, for each worktree, as a pass that waited does', async () => {
    const { worktrees, newProcess } = await setup(['a', 'b'], ['OPENAI_API_KEY', 'STRIPE_KEY']);
    server.failNext(1, { delayMs: 500 }, SECRETS);
    const report = await newProcess().reconcile();
    for (const create of creates()) expect(create.startedAt).toBeLessThan(secretsCall().endedAt as number);
    const message = 'the vault has no secret STRIPE_KEY; the env file is written without it';
    const listed = report.observed.repos.flatMap((repo) => repo.worktrees.filter((w) => w.managed).map((w) => w.worktree.path));
    expect(report.plan.problems.map((problem) => [problem.worktreePath, problem.message]).sort()).toEqual(listed.map((path) => [path, message]).sort());
    for (const worktree of worktrees) expect(await envOf(worktree)).toMatchObject({ OPENAI_API_KEY: 'sk-first' });
    for (const worktree of worktrees) expect(await envOf(worktree)).not.toHaveProperty('STRIPE_KEY');
  });

  it('writes the env files without secrets when the vault fails after the creates went out, and says so', async () => {
    // Each attempt fails with a 500, retried once after ~400 ms: the failure lands well after the creates.
    const { worktrees, newProcess } = await setup(['a', 'b'], ['OPENAI_API_KEY'], { attempts: 2, baseMs: 400, capMs: 400, random: () => 0.99 });
    server.failNext(2, { status: 500 }, SECRETS);
    const report = await newProcess().reconcile();
    const vaultCalls = server.calls.filter((call) => call.path === '/api/secrets/');
    expect(vaultCalls).toHaveLength(2);
    for (const create of creates()) expect(create.startedAt).toBeLessThan(vaultCalls[1]?.endedAt as number);
    expect(report.results.filter((result) => result.status !== 'done')).toEqual([]);
    for (const worktree of worktrees) {
      const env = await envOf(worktree);
      expect(env.AGENT_EMAIL).toMatch(/@/);
      expect(env).not.toHaveProperty('OPENAI_API_KEY');
    }
    expect(report.observed.vault?.ok).toBe(false);
    expect(report.plan.problems.map((problem) => problem.message)).toEqual([expect.stringMatching(/^Reading the vault failed, so secrets keep the values already written: /)]);
  });

  it('waits for the vault when its answer decides whether a worktree it does not create for needs a write', async () => {
    const { vault, worktrees, repo, newProcess } = await setup(['a']);
    await newProcess().reconcile();
    expect((await envOf(worktrees[0] as string)).OPENAI_API_KEY).toBe('sk-first');
    server.setSecret(vault.uuid, 'OPENAI_API_KEY', 'sk-second'); // rotated: only the vault's answer shows it
    const added = await repo.addWorktree('b');
    server.resetCalls();
    server.failNext(1, { delayMs: 300 }, SECRETS);
    const report = await newProcess().reconcile();
    expect(creates()).toHaveLength(1);
    expect(creates()[0]?.startedAt).toBeGreaterThanOrEqual(secretsCall().endedAt as number);
    for (const worktree of [worktrees[0] as string, added]) expect((await envOf(worktree)).OPENAI_API_KEY).toBe('sk-second');
    expect(report.plan.actions.filter((action) => action.type === 'write-env')).toHaveLength(2);
  });
});
