/**
 * The whole program on a first run (a new state dir, so no vault uuid is remembered): `reconcile` asks for its
 * identities while the vault's secrets are still on their way (late-vault.ts, with the listings the CLI asks for
 * at start-up, prefetch-listings.ts), every env file still gets the secret, and the run remembers the vault so the
 * next one asks for its secrets beside the listing.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { cleanupTempDirs, createRepo, createTempDir } from '../support/git-fixtures.js';
import type { FakeRaviServer, RecordedCall } from '../support/fake-ravi-server.js';
import { fakeRaviPerTest } from '../support/fake-ravi-per-test.js';
import { runBuiltCli } from '../support/cli.js';

afterAll(cleanupTempDirs);

let server: FakeRaviServer;
fakeRaviPerTest((started) => (server = started));

const only = (method: string, path: string): RecordedCall[] => server.calls.filter((call) => call.method === method && call.path === path);

describe('a first `reconcile` and the vault', () => {
  it('creates while the secrets are on their way, writes them into every env file, and remembers the vault', async () => {
    const vault = server.addIdentity({ name: 'team-vault' });
    server.setSecret(vault.uuid, 'OPENAI_API_KEY', 'sk-shared');
    const repo = await createRepo({ name: 'late' });
    const worktrees = [await repo.addWorktree('a'), await repo.addWorktree('b'), await repo.addWorktree('c')];
    const home = await createTempDir('ravi-late-vault-home-');
    const credentials = join(home, 'ravi.json');
    await writeFile(credentials, JSON.stringify({ management_key: server.managementKey }), { mode: 0o600 });
    const config = { provider: { kind: 'ravi', apiUrl: server.url, credentialsFile: credentials }, env: { secrets: ['OPENAI_API_KEY'] }, secrets: { vault: 'team-vault' } };
    await writeFile(join(repo.path, 'ravi-orchestrator.config.json'), JSON.stringify(config));
    server.failNext(1, { delayMs: 800 }, { method: 'GET', pathPrefix: '/api/secrets/' });

    const first = await runBuiltCli(['reconcile', '--json'], { cwd: repo.path, home });
    expect(first.exitCode).toBe(0);
    const [secrets] = only('GET', '/api/secrets/');
    const creates = only('POST', '/api/identities/');
    expect(creates).toHaveLength(3);
    for (const create of creates) expect(create.startedAt).toBeLessThan(secrets?.endedAt as number);
    for (const worktree of worktrees) expect(parse(await readFile(join(worktree, '.env'), 'utf8')).OPENAI_API_KEY).toBe('sk-shared');
    const report = JSON.parse(first.stdout) as { ok: boolean; problems: unknown[]; results: { type: string; changedKeys?: string[] }[] };
    expect(report).toMatchObject({ ok: true, problems: [] });
    expect(report.results.filter((result) => result.type === 'write-env').map((result) => result.changedKeys)).toEqual(worktrees.map(() => ['AGENT_EMAIL', 'AGENT_PHONE', 'OPENAI_API_KEY']));
    expect(first.stdout + first.stderr).not.toContain('sk-shared');

    server.resetCalls();
    server.latencyMs = 100; // "beside the listing" then shows: the listing answers 100 ms after it left
    const second = await runBuiltCli(['reconcile'], { cwd: repo.path, home });
    expect(second.exitCode).toBe(0);
    expect(server.mutatingCalls()).toBe(0);
    const [listing] = only('GET', '/api/identities/');
    const [again] = only('GET', '/api/secrets/');
    expect(again?.startedAt).toBeLessThan(listing?.endedAt as number); // the vault's uuid, remembered by the first run
  });
});
