import { describe, expect, it } from 'vitest';
import { plan } from '../../src/reconcile/plan.js';
import { renderEnvFile } from '../../src/files/env-block.js';
import type { Action } from '../../src/reconcile/actions.js';
import { identity, ledgerEntry, managed, NOW, observed, planConfig, unmanaged } from '../support/observed-builder.js';

const types = (actions: readonly Action[]) => actions.map((a) => a.type);
const MIN = 60_000;

/** The env file a worktree has when it is fully in sync with ledgerEntry(adminId). */
function syncedEnv(adminId: string, extra: ReadonlyArray<readonly [string, string]> = []): Buffer {
  const entry = ledgerEntry(adminId);
  return renderEnvFile(null, [['AGENT_EMAIL', entry.email as string], ['AGENT_PHONE', entry.phone as string], ...extra]).content;
}

describe('plan: identities of managed worktrees', () => {
  it('creates one identity and writes the env file for a new worktree', () => {
    const result = plan(observed({ worktrees: [managed('feat-x')] }), planConfig());
    expect(types(result.actions)).toEqual(['create-identity', 'write-env']);
    expect(result.actions[0]).toMatchObject({ type: 'create-identity', name: 'ws-app-feat-x', adminId: 'feat-x', recreate: false });
    expect(result.problems).toEqual([]);
  });

  it('does nothing for a worktree that is in sync', () => {
    const entry = ledgerEntry('feat-x');
    const result = plan(
      observed({ worktrees: [managed('feat-x', { env: syncedEnv('feat-x') })], identities: [identity(entry.name)], ledger: [entry] }),
      planConfig(),
    );
    expect(result.actions).toEqual([]);
    expect(result.problems).toEqual([]);
  });

  it('adopts the identity of an interrupted create by exact name instead of creating a duplicate', () => {
    const pending = ledgerEntry('feat-x', { state: 'pending', uuid: null, email: null, phone: null });
    const made = identity('ws-app-feat-x');
    const result = plan(observed({ worktrees: [managed('feat-x')], identities: [made, identity('ws-app-feat-x-other')], ledger: [pending] }), planConfig());
    expect(types(result.actions)).toEqual(['adopt-identity', 'write-env']);
    expect(result.actions[0]).toMatchObject({ identity: { uuid: made.uuid } });
  });

  it('adopts the oldest when an interrupted create left two identities of that name', () => {
    const pending = ledgerEntry('feat-x', { state: 'pending', uuid: null });
    const newer = identity('ws-app-feat-x', { uuid: 'b', createdAt: '2026-11-02T00:00:00Z' });
    const older = identity('ws-app-feat-x', { uuid: 'a', createdAt: '2026-11-01T00:00:00Z' });
    const result = plan(observed({ worktrees: [managed('feat-x')], identities: [newer, older], ledger: [pending] }), planConfig());
    expect(result.actions[0]).toMatchObject({ type: 'adopt-identity', identity: { uuid: 'a' } });
  });

  it('creates again under the intended name when the interrupted create never reached the provider', () => {
    const pending = ledgerEntry('feat-x', { state: 'pending', uuid: null });
    const result = plan(observed({ worktrees: [managed('feat-x')], ledger: [pending] }), planConfig());
    expect(result.actions[0]).toMatchObject({ type: 'create-identity', name: 'ws-app-feat-x' });
  });

  it('never takes the name of a foreign identity (so crash adoption cannot adopt it)', () => {
    const foreign = identity('ws-app-feat-x', { uuid: 'foreign' });
    const result = plan(observed({ worktrees: [managed('feat-x')], identities: [foreign] }), planConfig());
    const create = result.actions.find((a) => a.type === 'create-identity');
    expect(create).toMatchObject({ type: 'create-identity' });
    expect(create && 'name' in create && create.name).toMatch(/^ws-app-feat-x-[0-9a-f]{6}$/);
    expect(types(result.actions)).not.toContain('delete-identity');
  });

  it('gives distinct names to worktrees whose names sanitise to the same string', () => {
    const result = plan(observed({ worktrees: [managed('feat_x'), managed('feat-x'), managed('x'), managed('x1')] }), planConfig());
    const names = result.actions.flatMap((a) => (a.type === 'create-identity' ? [a.name] : []));
    expect(names).toHaveLength(4);
    expect(new Set(names).size).toBe(4);
    expect(names).toContain('ws-app-x');
    expect(names).toContain('ws-app-x1');
  });

  it('re-creates an identity deleted at the provider (others still listed)', () => {
    const gone = ledgerEntry('feat-x');
    const kept = ledgerEntry('feat-y');
    const result = plan(
      observed({ worktrees: [managed('feat-x', { env: syncedEnv('feat-x') }), managed('feat-y', { env: syncedEnv('feat-y') })], identities: [identity(kept.name)], ledger: [gone, kept] }),
      planConfig(),
    );
    expect(result.actions[0]).toMatchObject({ type: 'create-identity', name: gone.name, recreate: true });
    expect(types(result.actions)).toEqual(['create-identity', 'write-env']);
  });

  it('creates nothing when listing identities failed, and says why', () => {
    const result = plan(observed({ worktrees: [managed('feat-x')], identities: new Error('HTTP 503') }), planConfig());
    expect(result.actions).toEqual([]);
    expect(result.problems.map((p) => p.message).join('\n')).toMatch(/Listing identities failed: HTTP 503/);
  });
});

describe('plan: orphans and deletion safety', () => {
  const entry = ledgerEntry('old', { worktreePath: '/repos/app-worktrees/old' });
  const listed = [identity(entry.name), identity('ws-app-keep')];

  it('waits out the grace period, recording when the worktree vanished', () => {
    const result = plan(observed({ identities: listed, ledger: [entry] }), planConfig({ graceMs: 10 * MIN }));
    expect(types(result.actions)).toEqual(['mark-orphan']);
    expect(result.notes[0]?.message).toMatch(/grace period, in 10m/);
  });

  it('deletes after the grace period', () => {
    const since = new Date(NOW - 11 * MIN).toISOString();
    const result = plan(observed({ identities: listed, ledger: [{ ...entry, orphanedSince: since }] }), planConfig({ graceMs: 10 * MIN }));
    expect(result.actions).toEqual([expect.objectContaining({ type: 'delete-identity', uuid: entry.uuid, name: entry.name })]);
  });

  it('deletes at once with a grace of 0', () => {
    const result = plan(observed({ identities: listed, ledger: [entry] }), planConfig({ graceMs: 0 }));
    expect(types(result.actions)).toEqual(['mark-orphan', 'delete-identity']);
  });

  it('never deletes for a locked worktree, even one whose folder is gone', () => {
    const locked = unmanaged('old', 'its folder is gone', { locked: true, prunable: true });
    const result = plan(observed({ worktrees: [locked], identities: listed, ledger: [{ ...entry, orphanedSince: '2026-01-01T00:00:00Z' }] }), planConfig({ graceMs: 0 }));
    expect(types(result.actions)).toEqual(['clear-orphan']);
  });

  it('never deletes an identity the ledger does not own, whatever its name', () => {
    const foreign = [identity('ws-app-gone'), identity('ws-app-other')];
    const result = plan(observed({ identities: foreign, ledger: [] }), planConfig({ graceMs: 0 }));
    expect(result.actions).toEqual([]);
  });

  it('skips deletion when listing identities failed', () => {
    const result = plan(observed({ identities: new Error('timeout'), ledger: [entry] }), planConfig({ graceMs: 0 }));
    expect(types(result.actions)).not.toContain('delete-identity');
    expect(result.notes[0]?.message).toMatch(/identities could not be listed/);
  });

  it('skips deletion and re-creation when the provider suddenly lists none of the owned identities', () => {
    const live = [ledgerEntry('a'), ledgerEntry('b')];
    const result = plan(
      observed({ worktrees: [managed('a', { env: syncedEnv('a') })], identities: [], ledger: [...live, entry] }),
      planConfig({ graceMs: 0 }),
    );
    expect(types(result.actions)).toEqual([]);
    expect(result.problems.map((p) => p.message).join('\n')).toMatch(/none of the 3 identities the ledger owns/);
  });

  it('skips deletion for a repo whose worktrees cannot be listed', () => {
    const result = plan(observed({ inventoryError: new Error('not a git repository'), identities: listed, ledger: [entry] }), planConfig({ graceMs: 0 }));
    expect(result.actions).toEqual([]);
    expect(result.notes[0]?.message).toMatch(/no identity of this repo is deleted/);
  });

  it('treats a worktree excluded by config as an orphan', () => {
    const result = plan(observed({ worktrees: [unmanaged('old', 'excluded by config')], identities: listed, ledger: [entry] }), planConfig({ graceMs: 0 }));
    expect(result.actions.at(-1)).toMatchObject({ type: 'delete-identity', reason: 'excluded by config' });
  });

  it('forgets an entry whose identity is already gone at the provider', () => {
    const result = plan(observed({ identities: [identity('ws-app-keep')], ledger: [entry] }), planConfig({ graceMs: 0 }));
    expect(types(result.actions)).toEqual(['forget-entry']);
  });

  it('adopts (to delete later) an identity created just before its worktree vanished', () => {
    const pending = { ...entry, state: 'pending' as const, uuid: null };
    const result = plan(observed({ identities: listed, ledger: [pending] }), planConfig({ graceMs: 0 }));
    expect(types(result.actions)).toEqual(['adopt-identity']);
    const none = plan(observed({ identities: [identity('ws-app-keep')], ledger: [pending] }), planConfig({ graceMs: 0 }));
    expect(types(none.actions)).toEqual(['forget-entry']);
  });

  it('clears the orphan mark when the worktree comes back', () => {
    const back = { ...entry, orphanedSince: new Date(NOW - MIN).toISOString() };
    const result = plan(observed({ worktrees: [managed('old', { env: syncedEnv('old') })], identities: listed, ledger: [back] }), planConfig());
    expect(types(result.actions)).toEqual(['clear-orphan']);
  });
});

describe('plan: files', () => {
  const entry = ledgerEntry('feat-x');
  const base = { identities: [identity(entry.name)], ledger: [entry] };

  it('refuses to write a tracked env file', () => {
    const result = plan(observed({ ...base, worktrees: [managed('feat-x', { tracked: true, ignored: false })] }), planConfig());
    expect(types(result.actions)).not.toContain('write-env');
    expect(result.problems[0]?.message).toMatch(/\.env is tracked by git/);
  });

  it('adds ignore rules before writing into a worktree where git does not ignore the env file', () => {
    const result = plan(observed({ ...base, worktrees: [managed('feat-x', { ignored: false })] }), planConfig());
    expect(result.actions[0]).toEqual({ type: 'ensure-excluded', commonDir: '/repos/app/.git', patterns: ['/.env'] });
    expect(types(result.actions)).toContain('write-env');
  });

  it('rewrites the block when a value changed and names the keys, not the values', () => {
    const stale = renderEnvFile(Buffer.from('USER_LINE=1\n'), [['AGENT_EMAIL', 'old@x'], ['AGENT_PHONE', entry.phone as string]]).content;
    const result = plan(observed({ ...base, worktrees: [managed('feat-x', { env: stale })] }), planConfig());
    expect(result.actions).toEqual([expect.objectContaining({ type: 'write-env', changedKeys: ['AGENT_EMAIL'] })]);
  });

  it('mints a scoped key for the ravi provider when .ravi/config.json is missing or account-wide', () => {
    const wt = managed('feat-x', { env: syncedEnv('feat-x') });
    const missing = plan(observed({ ...base, worktrees: [{ ...wt, scoped: { path: '/x/.ravi/config.json', exists: false, identityUuid: null, hasIdentityKey: false, hasManagementKey: false, malformed: false } }], issuesScopedKeys: true }), planConfig());
    expect(types(missing.actions)).toEqual(['write-scoped-key']);
    const mgmt = plan(observed({ ...base, worktrees: [{ ...wt, scoped: { path: '/x', exists: true, identityUuid: entry.uuid, hasIdentityKey: true, hasManagementKey: true, malformed: false } }], issuesScopedKeys: true }), planConfig());
    expect(mgmt.actions[0]).toMatchObject({ type: 'write-scoped-key', reason: expect.stringMatching(/management key/) });
    const good = plan(observed({ ...base, worktrees: [{ ...wt, scoped: { path: '/x', exists: true, identityUuid: entry.uuid, hasIdentityKey: true, hasManagementKey: false, malformed: false } }], issuesScopedKeys: true }), planConfig());
    expect(good.actions).toEqual([]);
  });

  it('keeps the secrets already written when the vault cannot be read', () => {
    const env = syncedEnv('feat-x', [['OPENAI_API_KEY', 'sk-old']]);
    const result = plan(observed({ ...base, worktrees: [managed('feat-x', { env })], vault: new Error('vault down') }), planConfig({ secrets: ['OPENAI_API_KEY'] }));
    expect(types(result.actions)).toEqual([]);
    expect(result.problems[0]?.message).toMatch(/Reading the vault failed/);
  });

  it('reports a secret missing from the vault by name', () => {
    const result = plan(observed({ ...base, worktrees: [managed('feat-x', { env: syncedEnv('feat-x') })], vault: new Map() }), planConfig({ secrets: ['STRIPE_KEY'] }));
    expect(result.problems[0]?.message).toMatch(/the vault has no secret STRIPE_KEY/);
  });

  it('keeps secrets off disk with env.writeSecrets: false', () => {
    const config = planConfig({ secrets: ['STRIPE_KEY'] });
    const offDisk = { ...config, env: { ...config.env, writeSecrets: false } };
    const result = plan(observed({ ...base, worktrees: [managed('feat-x', { env: syncedEnv('feat-x') })], vault: new Map([['STRIPE_KEY', 'sk_live_1']]) }), offDisk);
    expect(result.actions).toEqual([]);
  });

  it('writes secrets from the vault into the block', () => {
    const result = plan(observed({ ...base, worktrees: [managed('feat-x', { env: syncedEnv('feat-x') })], vault: new Map([['STRIPE_KEY', 'sk_live_1']]) }), planConfig({ secrets: ['STRIPE_KEY'] }));
    expect(result.actions).toEqual([expect.objectContaining({ type: 'write-env', changedKeys: ['STRIPE_KEY'] })]);
    expect(JSON.stringify(result)).not.toContain('sk_live_1');
  });
});

describe('plan: identities released by teardown', () => {
  const released = ledgerEntry('feat-x', { state: 'released', uuid: null, email: null, phone: null });

  it('gives a released worktree no identity until a setup asks', () => {
    const result = plan(observed({ worktrees: [managed('feat-x')], ledger: [released] }), planConfig());
    expect(result.actions).toEqual([]);
    expect(result.notes[0]?.message).toMatch(/released by teardown/);
  });

  it('revives it for `reconcile --worktree` of that worktree', () => {
    const result = plan(observed({ worktrees: [managed('feat-x')], ledger: [released] }), planConfig(), { reviveKey: released.key });
    expect(types(result.actions)).toEqual(['create-identity', 'write-env']);
  });

  it('forgets the tombstone when the worktree is gone', () => {
    const result = plan(observed({ ledger: [released], identities: [identity('ws-app-other')] }), planConfig());
    expect(types(result.actions)).toEqual(['forget-entry']);
  });
});
