import { describe, expect, it } from 'vitest';
import { plan } from '../../src/reconcile/plan.js';
import { renderEnvFile } from '../../src/files/env-block.js';
import type { Action } from '../../src/reconcile/actions.js';
import { worktreeKey } from '../../src/files/ledger.js';
import { uniqueName } from '../../src/reconcile/naming.js';
import { COMMON_DIR, identity, idle, leased, managed, NOW, observed, planConfig, releasedWorktree, unmanaged } from '../support/observed-builder.js';

const types = (actions: readonly Action[]) => actions.map((a) => a.type);
const MIN = 60_000;

/** The env file a worktree has when it is fully in sync with leased(adminId). */
function syncedEnv(adminId: string, extra: ReadonlyArray<readonly [string, string]> = []): Buffer {
  const held = leased(adminId);
  return renderEnvFile(null, [['AGENT_EMAIL', held.email as string], ['AGENT_PHONE', held.phone as string], ...extra]).content;
}

const listed = (...records: { name: string; uuid: string | null; email: string | null; phone: string | null }[]) =>
  records.map((r) => identity(r.name, { uuid: r.uuid as string, email: r.email as string, phone: r.phone }));

describe('plan: a worktree without a lease', () => {
  it('creates one identity for it when the pool is empty (the only time we create)', () => {
    const result = plan(observed({ worktrees: [managed('feat-x')] }), planConfig());
    expect(types(result.actions)).toEqual(['create-identity', 'write-env']);
    expect(result.actions[0]).toMatchObject({ type: 'create-identity', name: 'ws-app-feat-x', adminId: 'feat-x', recreate: false });
    expect(result.problems).toEqual([]);
  });

  it('leases an idle identity that rested past the quarantine instead of creating one', () => {
    const rested = idle('ws-app-old');
    const result = plan(observed({ worktrees: [managed('feat-x')], identities: listed(rested), ledger: [rested] }), planConfig());
    expect(types(result.actions)).toEqual(['lease-identity', 'write-env']);
    expect(result.actions[0]).toMatchObject({ type: 'lease-identity', name: 'ws-app-old', uuid: rested.uuid, key: worktreeKey(COMMON_DIR, 'feat-x'), idleMs: 24 * 60 * MIN });
    expect(result.actions[1]).toMatchObject({ type: 'write-env', changedKeys: ['AGENT_EMAIL', 'AGENT_PHONE'] });
  });

  it('creates rather than hand over an identity still in quarantine', () => {
    const resting = idle('ws-app-old', { idleSince: new Date(NOW - 10 * MIN).toISOString() });
    const result = plan(observed({ worktrees: [managed('feat-x')], identities: listed(resting), ledger: [resting] }), planConfig({ quarantineMs: 30 * MIN }));
    expect(types(result.actions)).toEqual(['create-identity', 'write-env']);
    const now = plan(observed({ worktrees: [managed('feat-x')], identities: listed(resting), ledger: [resting] }), planConfig({ quarantineMs: 0 }));
    expect(types(now.actions)).toEqual(['lease-identity', 'write-env']);
  });

  it('gives a worktree back the identity it held last, without waiting out the quarantine', () => {
    const own = idle('ws-app-mine', { idleSince: new Date(NOW - MIN).toISOString(), lastHolder: { worktreeKey: worktreeKey(COMMON_DIR, 'feat-x'), worktreePath: '/repos/app-worktrees/feat-x' } });
    const older = idle('ws-app-older');
    const result = plan(observed({ worktrees: [managed('feat-x')], identities: listed(own, older), ledger: [older, own] }), planConfig());
    expect(result.actions[0]).toMatchObject({ type: 'lease-identity', name: 'ws-app-mine' });
  });

  it('hands each idle identity to one worktree only, longest rested first, same repo first', () => {
    const a = idle('ws-app-a', { idleSince: new Date(NOW - 5 * 60 * MIN).toISOString(), lastHolder: { worktreeKey: '/other/.git::x', worktreePath: '/other/x' } });
    const b = idle('ws-app-b', { idleSince: new Date(NOW - 2 * 60 * MIN).toISOString() });
    const result = plan(observed({ worktrees: [managed('one'), managed('two'), managed('three')], identities: listed(a, b), ledger: [a, b] }), planConfig());
    const acquired = result.actions.filter((x) => x.type === 'lease-identity' || x.type === 'create-identity');
    expect(acquired.map((x) => [x.type, 'name' in x ? x.name : null, 'key' in x ? x.key : null])).toEqual([
      ['lease-identity', 'ws-app-b', worktreeKey(COMMON_DIR, 'one')], // last used in this repo
      ['lease-identity', 'ws-app-a', worktreeKey(COMMON_DIR, 'three')],
      ['create-identity', 'ws-app-two', worktreeKey(COMMON_DIR, 'two')],
    ]);
  });

  it('serves the worktree a setup asked for first', () => {
    const only = idle('ws-app-only');
    const result = plan(observed({ worktrees: [managed('aaa'), managed('zzz')], identities: listed(only), ledger: [only] }), planConfig(), { focusKey: worktreeKey(COMMON_DIR, 'zzz') });
    expect(result.actions.find((a) => a.type === 'lease-identity')).toMatchObject({ key: worktreeKey(COMMON_DIR, 'zzz') });
  });

  it('never leases an idle record the provider no longer lists', () => {
    const vanished = idle('ws-app-gone');
    const result = plan(observed({ worktrees: [managed('feat-x')], identities: [identity('someone-else')], ledger: [vanished] }), planConfig());
    expect(types(result.actions)).toEqual(['create-identity', 'write-env', 'forget-identity']);
  });

  it('never takes the name of a foreign identity (so crash adoption cannot adopt it)', () => {
    const foreign = identity('ws-app-feat-x', { uuid: 'foreign' });
    const result = plan(observed({ worktrees: [managed('feat-x')], identities: [foreign] }), planConfig());
    const create = result.actions.find((a) => a.type === 'create-identity');
    expect(create && 'name' in create && create.name).toMatch(/^ws-app-feat-x-[0-9a-f]{6}$/);
    expect(types(result.actions)).not.toContain('lease-identity');
  });

  it('creates nothing and says why when the template name and its hashed variant are both taken', () => {
    const taken = [identity('ws-app-feat-x', { uuid: 'a' }), identity(uniqueName('ws-app-feat-x', worktreeKey(COMMON_DIR, 'feat-x')), { uuid: 'b' })];
    const result = plan(observed({ worktrees: [managed('feat-x')], identities: taken }), planConfig());
    expect(types(result.actions)).not.toContain('create-identity');
    expect(result.problems.map((p) => p.message)).toContain('no free identity name: both the template name and its hashed variant are taken by other identities');
  });

  it('gives distinct names to worktrees whose names sanitise to the same string', () => {
    const result = plan(observed({ worktrees: [managed('feat_x'), managed('feat-x'), managed('x'), managed('x1')] }), planConfig());
    const names = result.actions.flatMap((a) => (a.type === 'create-identity' ? [a.name] : []));
    expect(names).toHaveLength(4);
    expect(new Set(names).size).toBe(4);
  });

  it('gets no identity while identities cannot be listed, and says why', () => {
    const rested = idle('ws-app-old');
    const result = plan(observed({ worktrees: [managed('feat-x')], identities: new Error('HTTP 503'), ledger: [rested] }), planConfig());
    expect(result.actions).toEqual([]);
    expect(result.problems.map((p) => p.message).join('\n')).toMatch(/Listing identities failed: HTTP 503/);
  });
});

describe('plan: a worktree holding a lease', () => {
  it('does nothing when it is in sync', () => {
    const held = leased('feat-x');
    const result = plan(observed({ worktrees: [managed('feat-x', { env: syncedEnv('feat-x') })], identities: listed(held), ledger: [held] }), planConfig());
    expect(result.actions).toEqual([]);
    expect(result.problems).toEqual([]);
  });

  it('adopts the identity of an interrupted create by exact name (oldest of several) instead of creating a duplicate', () => {
    const creating = leased('feat-x', { state: 'creating', uuid: null, email: null, phone: null });
    const newer = identity('ws-app-feat-x', { uuid: 'b', createdAt: '2026-11-02T00:00:00Z' });
    const older = identity('ws-app-feat-x', { uuid: 'a', createdAt: '2026-11-01T00:00:00Z' });
    const result = plan(observed({ worktrees: [managed('feat-x')], identities: [newer, older], ledger: [creating] }), planConfig());
    expect(types(result.actions)).toEqual(['adopt-identity', 'write-env']);
    expect(result.actions[0]).toMatchObject({ identity: { uuid: 'a' } });
  });

  it('creates again under the recorded name when the interrupted create never reached the provider', () => {
    const creating = leased('feat-x', { state: 'creating', uuid: null, email: null, phone: null });
    const result = plan(observed({ worktrees: [managed('feat-x')], ledger: [creating] }), planConfig());
    expect(result.actions[0]).toMatchObject({ type: 'create-identity', name: 'ws-app-feat-x' });
  });

  it('forgets an identity deleted at the provider and takes another (others still listed)', () => {
    const gone = leased('feat-x');
    const kept = leased('feat-y');
    const result = plan(
      observed({ worktrees: [managed('feat-x', { env: syncedEnv('feat-x') }), managed('feat-y', { env: syncedEnv('feat-y') })], identities: listed(kept), ledger: [gone, kept] }),
      planConfig(),
    );
    expect(types(result.actions)).toEqual(['forget-identity', 'create-identity', 'write-env']);
    expect(result.actions[1]).toMatchObject({ type: 'create-identity', name: gone.name, recreate: true });
  });

  it('neither forgets nor re-creates when the provider suddenly lists none of the owned identities', () => {
    const live = [leased('a'), leased('b'), idle('ws-app-c')];
    const worktrees = [managed('a', { env: syncedEnv('a') }), managed('b', { env: syncedEnv('b') }), managed('new')];
    const result = plan(observed({ worktrees, identities: [], ledger: live }), planConfig({ keepIdle: 0 }));
    expect(types(result.actions)).toEqual(['create-identity', 'write-env']);
    expect(result.problems.map((p) => p.message).join('\n')).toMatch(/none of the 3 identities the ledger owns/);
  });

  it('releases a second lease of the same worktree (one worktree, one identity)', () => {
    const first = leased('feat-x', {}, { since: '2026-11-01T00:00:00Z' });
    const second = leased('feat-x', { name: 'ws-app-dup', uuid: 'uuid-dup' }, { since: '2026-11-02T00:00:00Z' });
    const result = plan(observed({ worktrees: [managed('feat-x', { env: syncedEnv('feat-x') })], identities: listed(first, second), ledger: [second, first] }), planConfig());
    expect(result.actions).toEqual([expect.objectContaining({ type: 'release-lease', name: 'ws-app-dup' })]);
  });

  it('clears the orphan mark when the worktree comes back', () => {
    const back = leased('old', {}, { orphanedSince: new Date(NOW - MIN).toISOString() });
    const result = plan(observed({ worktrees: [managed('old', { env: syncedEnv('old') })], identities: listed(back), ledger: [back] }), planConfig());
    expect(types(result.actions)).toEqual(['clear-orphan']);
  });
});

describe('plan: leases of worktrees that are gone', () => {
  const held = leased('old');
  const keep = identity('ws-app-keep');

  it('waits out the grace period, recording when the worktree vanished', () => {
    const result = plan(observed({ identities: [...listed(held), keep], ledger: [held] }), planConfig({ graceMs: 10 * MIN }));
    expect(types(result.actions)).toEqual(['mark-orphan']);
    expect(result.notes[0]?.message).toMatch(/lease ends after the grace period, in 10m/);
  });

  it('ends the lease after the grace period: the identity goes back to the pool, nothing is deleted', () => {
    const orphan = leased('old', {}, { orphanedSince: new Date(NOW - 11 * MIN).toISOString() });
    const result = plan(observed({ identities: [...listed(orphan), keep], ledger: [orphan] }), planConfig({ graceMs: 10 * MIN }));
    expect(result.actions).toEqual([expect.objectContaining({ type: 'release-lease', name: orphan.name, reason: 'its worktree is gone' })]);
  });

  it('with a grace and a quarantine of 0, a new worktree takes the released identity in the same pass', () => {
    const result = plan(observed({ worktrees: [managed('new')], identities: listed(held), ledger: [held] }), planConfig({ graceMs: 0, quarantineMs: 0 }));
    expect(types(result.actions)).toEqual(['mark-orphan', 'release-lease', 'lease-identity', 'write-env']);
  });

  it('never ends the lease of a locked worktree, even one whose folder is gone', () => {
    const marked = leased('old', {}, { orphanedSince: '2026-01-01T00:00:00Z' });
    const locked = unmanaged('old', 'its folder is gone', { locked: true, prunable: true });
    const result = plan(observed({ worktrees: [locked], identities: listed(marked), ledger: [marked] }), planConfig({ graceMs: 0 }));
    expect(types(result.actions)).toEqual(['clear-orphan']);
  });

  it('treats a worktree excluded by config like a gone one', () => {
    const result = plan(observed({ worktrees: [unmanaged('old', 'excluded by config')], identities: listed(held), ledger: [held] }), planConfig({ graceMs: 0 }));
    expect(result.actions.at(-1)).toMatchObject({ type: 'release-lease', reason: 'excluded by config' });
  });

  it('ends no lease of a repo whose worktrees cannot be listed', () => {
    const result = plan(observed({ inventoryError: new Error('not a git repository'), identities: listed(held), ledger: [held] }), planConfig({ graceMs: 0 }));
    expect(result.actions).toEqual([]);
    expect(result.notes[0]?.message).toMatch(/no lease of this repo ends/);
  });

  it('forgets a record whose identity is gone at the provider', () => {
    const result = plan(observed({ identities: [keep], ledger: [held] }), planConfig({ graceMs: 0 }));
    expect(types(result.actions)).toEqual(['forget-identity']);
  });

  it('adopts into the pool an identity created just before its worktree vanished', () => {
    const creating = leased('old', { state: 'creating', uuid: null, email: null, phone: null });
    const result = plan(observed({ identities: [identity(creating.name), keep], ledger: [creating] }), planConfig({ graceMs: 0 }));
    expect(types(result.actions)).toEqual(['adopt-identity', 'release-lease']);
    const none = plan(observed({ identities: [keep], ledger: [creating] }), planConfig({ graceMs: 0 }));
    expect(types(none.actions)).toEqual(['forget-identity']);
  });
});

describe('plan: the pool', () => {
  const a = idle('ws-app-a', { idleSince: new Date(NOW - 3 * 60 * MIN).toISOString() });
  const b = idle('ws-app-b', { idleSince: new Date(NOW - 2 * 60 * MIN).toISOString() });
  const c = idle('ws-app-c', { idleSince: new Date(NOW - 1 * 60 * MIN).toISOString() });

  it('keeps every idle identity by default (Ravi: permanent and costly)', () => {
    const result = plan(observed({ identities: listed(a, b, c), ledger: [a, b, c] }), planConfig());
    expect(result.actions).toEqual([]);
  });

  it('deletes idle identities beyond keepIdle, those that went idle last first', () => {
    const result = plan(observed({ identities: listed(a, b, c), ledger: [a, b, c] }), planConfig({ keepIdle: 1 }));
    expect(result.actions.map((x) => [x.type, 'name' in x ? x.name : null])).toEqual([
      ['delete-identity', 'ws-app-c'],
      ['delete-identity', 'ws-app-b'],
    ]);
  });

  it('counts an identity this pass releases as idle, and never deletes one it leases', () => {
    const orphan = leased('old', { name: 'ws-app-orphan' });
    const result = plan(observed({ worktrees: [managed('new')], identities: listed(a, orphan), ledger: [a, orphan] }), planConfig({ graceMs: 0, keepIdle: 0 }));
    expect(result.actions.filter((x) => x.type === 'lease-identity')).toEqual([expect.objectContaining({ name: 'ws-app-a' })]);
    expect(result.actions.filter((x) => x.type === 'delete-identity')).toEqual([expect.objectContaining({ name: 'ws-app-orphan' })]);
  });

  it('asks no provider again that refused a deletion, and says so', () => {
    const refused = { deleteRefused: { at: '2026-11-20T00:00:00.000Z', status: 405, message: 'Method "DELETE" not allowed.' } };
    const result = plan(observed({ identities: listed(a, b, c), ledger: [a, b, c], provider: refused }), planConfig({ keepIdle: 0 }));
    expect(result.actions).toEqual([]);
    expect(result.notes.map((n) => n.message).join('\n')).toMatch(/3 idle identities are kept .*refused to delete one \(HTTP 405\)/);
  });

  it('deletes nothing on doubt (a listing that holds none of ours), and never an identity the ledger does not own', () => {
    const doubt = plan(observed({ identities: [identity('foreign')], ledger: [a, b, c] }), planConfig({ keepIdle: 0 }));
    expect(types(doubt.actions)).toEqual([]);
    const foreign = plan(observed({ identities: [identity('ws-app-gone'), identity('ws-app-other')], ledger: [] }), planConfig({ keepIdle: 0 }));
    expect(foreign.actions).toEqual([]);
  });

  it('adopts an idle record whose create was interrupted, or forgets it when nothing was made', () => {
    const creating = idle('ws-app-half', { state: 'creating', uuid: null, email: null, phone: null });
    expect(types(plan(observed({ identities: [identity('ws-app-half')], ledger: [creating] }), planConfig()).actions)).toEqual(['adopt-identity']);
    expect(types(plan(observed({ identities: [identity('x')], ledger: [creating] }), planConfig()).actions)).toEqual(['forget-identity']);
  });
});

describe('plan: files', () => {
  const held = leased('feat-x');
  const base = { identities: listed(held), ledger: [held] };

  it('refuses to write a tracked env file', () => {
    const result = plan(observed({ ...base, worktrees: [managed('feat-x', { tracked: true, ignored: false })] }), planConfig());
    expect(types(result.actions)).not.toContain('write-env');
    expect(result.problems[0]?.message).toMatch(/\.env is tracked by git/);
  });

  it('adds ignore rules before writing into a worktree where git does not ignore the env file', () => {
    const result = plan(observed({ ...base, worktrees: [managed('feat-x', { ignored: false })] }), planConfig());
    expect(result.actions[0]).toEqual({ type: 'ensure-excluded', commonDir: '/repos/app/.git', patterns: ['*.ravi-tmp', '/.env'] });
    expect(types(result.actions)).toContain('write-env');
  });

  it('adds ignore rules first for a new worktree too (one that leases or creates in this pass)', () => {
    const created = plan(observed({ worktrees: [managed('fresh', { ignored: false })] }), planConfig());
    expect(types(created.actions)).toEqual(['ensure-excluded', 'create-identity', 'write-env']);
    const pooled = idle('ws-app-old');
    const leasedNow = plan(observed({ worktrees: [managed('fresh', { ignored: false })], identities: listed(pooled), ledger: [pooled] }), planConfig());
    expect(types(leasedNow.actions)).toEqual(['ensure-excluded', 'lease-identity', 'write-env']);
  });

  it('rewrites the block when a value changed and names the keys, not the values', () => {
    const stale = renderEnvFile(Buffer.from('USER_LINE=1\n'), [['AGENT_EMAIL', 'old@x'], ['AGENT_PHONE', held.phone as string]]).content;
    const result = plan(observed({ ...base, worktrees: [managed('feat-x', { env: stale })] }), planConfig());
    expect(result.actions).toEqual([expect.objectContaining({ type: 'write-env', changedKeys: ['AGENT_EMAIL'] })]);
  });

  it('mints a scoped key for the ravi provider when .ravi/config.json is missing or account-wide, and one per new lease', () => {
    const wt = managed('feat-x', { env: syncedEnv('feat-x') });
    const scoped = (over: object) => ({ ...wt, scoped: { path: '/x/.ravi/config.json', exists: true, identityUuid: held.uuid, hasIdentityKey: true, hasManagementKey: false, malformed: false, ...over } });
    const missing = plan(observed({ ...base, worktrees: [scoped({ exists: false, identityUuid: null, hasIdentityKey: false })], issuesScopedKeys: true }), planConfig());
    expect(types(missing.actions)).toEqual(['write-scoped-key']);
    const mgmt = plan(observed({ ...base, worktrees: [scoped({ hasManagementKey: true })], issuesScopedKeys: true }), planConfig());
    expect(mgmt.actions[0]).toMatchObject({ type: 'write-scoped-key', reason: expect.stringMatching(/management key/) });
    const good = plan(observed({ ...base, worktrees: [scoped({})], issuesScopedKeys: true }), planConfig());
    expect(good.actions).toEqual([]);
    const pooled = idle('ws-app-old');
    const lease = plan(observed({ identities: listed(pooled), ledger: [pooled], worktrees: [scoped({ identityUuid: pooled.uuid })], issuesScopedKeys: true }), planConfig());
    expect(lease.actions.find((x) => x.type === 'write-scoped-key')).toMatchObject({ reason: 'mint a key for this lease' });
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

describe('plan: worktrees released by teardown', () => {
  const released = releasedWorktree('feat-x');
  const own = idle('ws-app-feat-x', { idleSince: new Date(NOW - MIN).toISOString(), lastHolder: { worktreeKey: released.worktreeKey, worktreePath: released.worktreePath } });

  it('gives a released worktree no identity until a setup asks', () => {
    const result = plan(observed({ worktrees: [managed('feat-x')], identities: listed(own), ledger: [own], released: [released] }), planConfig());
    expect(result.actions).toEqual([]);
    expect(result.notes[0]?.message).toMatch(/released by teardown/);
  });

  it('gives it its own identity back for `reconcile --worktree` of that worktree', () => {
    const result = plan(observed({ worktrees: [managed('feat-x')], identities: listed(own), ledger: [own], released: [released] }), planConfig(), { focusKey: released.worktreeKey });
    expect(types(result.actions)).toEqual(['revive-worktree', 'lease-identity', 'write-env']);
    expect(result.actions[1]).toMatchObject({ name: own.name });
  });

  it('forgets the released worktree when it is gone', () => {
    const result = plan(observed({ released: [released], identities: [identity('ws-app-other')] }), planConfig());
    expect(types(result.actions)).toEqual(['forget-worktree']);
  });
});
