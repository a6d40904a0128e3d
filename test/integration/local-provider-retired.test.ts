import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { cleanupTempDirs, createTempDir } from '../support/git-fixtures.js';
import { createLocalProvider } from '../../src/providers/local/local-provider.js';

afterAll(cleanupTempDirs);

describe('the local provider gives a deleted identity\'s number and address out again only after the quarantine', () => {
  it('skips them while they rest, and reuses them once the quarantine has passed', async () => {
    const stateDir = join(await createTempDir('ravi-local-retired-'), 'state');
    let now = Date.parse('2026-12-01T00:00:00Z');
    const provider = createLocalProvider({ stateDir, quarantineMs: 30 * 60_000, now: () => now });
    const first = await provider.createIdentity({ name: 'ws-app-x', provisionPhone: true });
    await provider.deleteIdentity(first.uuid);
    const during = await provider.createIdentity({ name: 'ws-app-x', provisionPhone: true });
    expect(during.phone).not.toBe(first.phone);
    expect(during.email).not.toBe(first.email);
    await provider.deleteIdentity(during.uuid);
    now += 31 * 60_000;
    const after = await provider.createIdentity({ name: 'ws-app-x', provisionPhone: true });
    expect(after.phone).toBe(first.phone);
    expect(after.email).toBe(first.email);
  });

  it('with no quarantine, hands them out at once', async () => {
    const stateDir = join(await createTempDir('ravi-local-retired-'), 'state');
    const provider = createLocalProvider({ stateDir, quarantineMs: 0 });
    const first = await provider.createIdentity({ name: 'ws-app-y', provisionPhone: true });
    await provider.deleteIdentity(first.uuid);
    expect((await provider.createIdentity({ name: 'ws-app-y', provisionPhone: true })).phone).toBe(first.phone);
  });
});
