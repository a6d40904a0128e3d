/**
 * observe()'s onReposRead: called once every repo's worktrees and their files are read, while the provider's
 * listing may still be on its way. The engine starts loading its apply steps there (engine.ts), so the hook must
 * come before the pass waits for the API, and must see what was read.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanupTempDirs, createRepo, createTempDir } from '../support/git-fixtures.js';
import { testConfig } from '../support/engine-harness.js';
import { createProvider } from '../../src/providers/create-provider.js';
import type { Identity, Provider } from '../../src/providers/types.js';
import { Ledger } from '../../src/files/ledger.js';
import { PortLedger } from '../../src/ports/port-ledger.js';
import { observe } from '../../src/reconcile/observe.js';
import type { ObservedRepo } from '../../src/reconcile/observed.js';

afterAll(cleanupTempDirs);

describe('observe: onReposRead', () => {
  it('is called once with every worktree read, before the identity listing has answered', async () => {
    const repo = await createRepo({ name: 'app' });
    const withEnv = await repo.addWorktree('with-env');
    const withoutEnv = await repo.addWorktree('without-env');
    await writeFile(join(withEnv, '.env'), 'MINE=1\n');
    const config = testConfig(join(await createTempDir('ravi-repos-read-'), 'state'), [repo.path]);
    const local = createProvider(config);
    let answer: () => void = () => {};
    const gate = new Promise<void>((resolve) => (answer = resolve));
    let answered = false;
    // The local provider's listing, held back until the test lets it through: an API still on its way.
    const provider: Provider = { ...local, listIdentities: async (options): Promise<Identity[]> => { await gate; answered = true; return local.listIdentities(options); } };
    const ledger = await Ledger.open(config.stateDir, provider.ledgerScope);
    const ports = await PortLedger.open(config.stateDir);

    const seen: { repos: readonly ObservedRepo[]; answered: boolean }[] = [];
    const observing = observe(config, provider, ledger, ports, { now: Date.now(), onReposRead: (repos) => void seen.push({ repos, answered }) });
    await expect.poll(() => seen.length, { timeout: 10_000 }).toBe(1);
    expect(seen[0]?.answered).toBe(false);
    const worktrees = seen[0]?.repos[0]?.worktrees ?? [];
    const envOf = (path: string) => worktrees.find((w) => w.worktree.path === path)?.env;
    expect(envOf(withEnv)?.content?.toString()).toBe('MINE=1\n');
    expect(envOf(withoutEnv)).toMatchObject({ content: null, error: null });

    answer();
    const { observed } = await observing;
    expect(seen).toHaveLength(1);
    expect(observed.identities.ok).toBe(true);
    expect(observed.repos).toBe(seen[0]?.repos);
  });
});
