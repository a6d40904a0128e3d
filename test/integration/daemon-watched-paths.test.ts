/**
 * The daemon's record of what a pass saw or left in each watched path (src/daemon/watched-paths.ts), checked
 * against real passes on real repos and the fake Ravi server: right after a pass every path matches (or the
 * daemon would pay a second pass for every worktree add), and a change is seen even when it keeps size and mtime.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanupTempDirs, createRepo, createTempDir } from '../support/git-fixtures.js';
import type { FakeRaviServer } from '../support/fake-ravi-server.js';
import { fakeRaviPerTest } from '../support/fake-ravi-per-test.js';
import { createHarness, raviProviderConfig, testConfig } from '../support/engine-harness.js';
import { createRaviProvider } from '../../src/providers/ravi/ravi-provider.js';
import { firstChanged, watchedPaths, type WatchedPath } from '../../src/daemon/watched-paths.js';

afterAll(cleanupTempDirs);

let server: FakeRaviServer;
fakeRaviPerTest((started) => (server = started));

async function setup(names: string[]) {
  const repo = await createRepo({ name: 'app' });
  const worktrees: string[] = [];
  for (const name of names) worktrees.push(await repo.addWorktree(name));
  const base = await createTempDir('ravi-watched-');
  const credentialsFile = join(base, 'ravi.json');
  await writeFile(credentialsFile, JSON.stringify({ management_key: server.managementKey }), { mode: 0o600 });
  const vault = server.addIdentity({ name: 'team-vault' });
  server.setSecret(vault.uuid, 'OPENAI_API_KEY', 'sk-live-secret-123');
  const config = testConfig(join(base, 'state'), [repo.path], {
    provider: raviProviderConfig(server.url, credentialsFile),
    secrets: { vault: 'team-vault' },
    env: { vars: { AGENT_EMAIL: '{email}', AGENT_BRANCH: '{branch}' }, secrets: ['OPENAI_API_KEY'] },
  });
  const provider = createRaviProvider({ apiUrl: server.url, credentialsFile, provisionPhone: false });
  const harness = createHarness(config, provider);
  const pass = async (): Promise<WatchedPath[]> => watchedPaths(await harness.reconcile(), config);
  return { repo, worktrees, pass };
}

/** Puts back the mtime (and atime) a file had: an edit that mtime alone would not reveal. */
async function keepingMtime(file: string, edit: () => Promise<void>): Promise<void> {
  const before = await stat(file);
  await edit();
  await utimes(file, before.atime, before.mtime);
}

describe('what a pass saw or left in the paths the daemon watches', () => {
  it('matches the disk right after a pass, for files it only read and files it wrote (user lines, legacy lines, branch switch)', async () => {
    const { repo, worktrees, pass } = await setup(['kept', 'switched']);
    const [kept, switched] = worktrees as [string, string];
    await pass();
    await repo.git('-C', switched, 'switch', '-q', '-c', 'other');
    const fresh = await repo.addWorktree('fresh');
    await writeFile(join(fresh, '.env'), 'MINE=1\nAGENT_EMAIL=legacy@example.com\n');

    const watched = await pass();
    const expected = [kept, switched, fresh].flatMap((w) => [`${w} folder`, `${join(w, '.env')} env`, `${join(w, '.ravi', 'config.json')} scoped`]);
    expect(watched.map((w) => `${w.path} ${w.kind}`).sort()).toEqual(expected.sort());
    expect(watched.every((w) => w.seen !== null)).toBe(true);
    expect(await firstChanged(watched)).toBeNull();
    // The pass did write them: the new worktree's file (keeping the user's line, dropping the legacy one)
    // and the switched worktree's branch.
    expect(await readFile(join(fresh, '.env'), 'utf8')).toMatch(/^MINE=1\n# >>> ravi-orchestrator >>>/);
    expect(await readFile(join(switched, '.env'), 'utf8')).toContain("AGENT_BRANCH='other'");
  });

  it('sees an env edit that keeps the size and the mtime, and a file replaced by a folder', async () => {
    const { worktrees, pass } = await setup(['a', 'b']);
    const [a, b] = worktrees as [string, string];
    const watched = await pass();
    const envA = join(a, '.env');
    await keepingMtime(envA, async () => writeFile(envA, (await readFile(envA, 'utf8')).replace('sk-live-secret-123', 'sk-live-secret-124')));
    expect((await firstChanged(watched))?.path).toBe(envA);
    await rm(envA);
    expect((await firstChanged(watched))?.path).toBe(envA);

    const watchedB = watched.filter((w) => w.path.startsWith(b));
    await rm(join(b, '.env'));
    await mkdir(join(b, '.env'));
    expect((await firstChanged(watchedB))?.path).toBe(join(b, '.env'));
  });

  it('sees a scoped key file losing its key or gaining a management key, and a worktree folder deleted', async () => {
    const { worktrees, pass } = await setup(['a']);
    const [a] = worktrees as [string];
    const watched = await pass();
    const scoped = join(a, '.ravi', 'config.json');
    const original = await readFile(scoped, 'utf8');
    const json = JSON.parse(original) as Record<string, unknown>;
    // Reformatted, same facts: no pass would do anything about it, so it is not a change.
    await writeFile(scoped, JSON.stringify(json));
    expect(await firstChanged(watched)).toBeNull();
    await writeFile(scoped, JSON.stringify({ ...json, management_key: 'ravi_mgmt_x' }));
    expect((await firstChanged(watched))?.path).toBe(scoped);
    await writeFile(scoped, JSON.stringify({ ...json, identity_key: '' }));
    expect((await firstChanged(watched))?.path).toBe(scoped);
    await writeFile(scoped, original);
    expect(await firstChanged(watched)).toBeNull();

    await rm(a, { recursive: true, force: true });
    expect((await firstChanged(watched))?.path).toBe(a);
  });

  it('counts a path it has no record of as changed', async () => {
    const dir = await createTempDir('ravi-watched-unknown-');
    expect((await firstChanged([{ path: dir, kind: 'folder', seen: null }]))?.path).toBe(dir);
    expect(await firstChanged([{ path: dir, kind: 'folder', seen: 'folder' }])).toBeNull();
  });
});
