import { describe, expect, it } from 'vitest';
import { plan } from '../../src/reconcile/plan.js';
import type { Action } from '../../src/reconcile/actions.js';
import { worktreeKey } from '../../src/files/ledger.js';
import type { PortBlock } from '../../src/ports/port-ledger.js';
import { COMMON_DIR, identity, leased, managed, NOW, observed, planConfig, releasedWorktree, unmanaged } from '../support/observed-builder.js';
import { renderEnvFile } from '../../src/files/env-block.js';

const MIN = 60_000;
const PORTS = { perWorktree: 3, first: 20000, last: 20008 }; // three slots
const VARS = { PORT: '{port}', API_PORT: '{port:1}', DEBUG_PORT: '{port:2}', AGENT_EMAIL: '{email}' };
const types = (actions: readonly Action[]) => actions.map((a) => a.type);

function block(adminId: string, first: number, overrides: Partial<PortBlock> = {}): PortBlock {
  return { worktreeKey: worktreeKey(COMMON_DIR, adminId), commonDir: COMMON_DIR, adminId, worktreePath: `/repos/app-worktrees/${adminId}`, first, size: 3, assignedAt: '2026-11-01T00:00:00Z', orphanedSince: null, ...overrides };
}

function synced(adminId: string, first: number): Buffer {
  const held = leased(adminId);
  return renderEnvFile(null, [['PORT', String(first)], ['API_PORT', String(first + 1)], ['DEBUG_PORT', String(first + 2)], ['AGENT_EMAIL', held.email as string]]).content;
}

describe('plan: port blocks', () => {
  it('assigns each new worktree its own block, first free slot first, and writes the ports into .env', () => {
    const taken = block('other', 20000, { commonDir: '/repos/other/.git', worktreeKey: '/repos/other/.git::x' }); // another repo shares the range
    const result = plan(observed({ worktrees: [managed('a'), managed('b')], blocks: [taken] }), planConfig({ ports: PORTS, vars: VARS }));
    expect(result.actions.filter((a) => a.type === 'assign-ports').map((a) => [a.type === 'assign-ports' && a.key, a.type === 'assign-ports' && a.first])).toEqual([
      [worktreeKey(COMMON_DIR, 'a'), 20003],
      [worktreeKey(COMMON_DIR, 'b'), 20006],
    ]);
    expect(result.actions.find((a) => a.type === 'write-env')).toMatchObject({ changedKeys: expect.arrayContaining(['PORT', 'API_PORT', 'DEBUG_PORT']) });
  });

  it('keeps a block stable across passes and across git worktree move (the key is the admin id)', () => {
    const held = leased('a');
    const moved = managed('a', { env: synced('a', 20003), wt: { path: '/elsewhere/a' } });
    const result = plan(observed({ worktrees: [moved], identities: [identity(held.name)], ledger: [held], blocks: [block('a', 20003)] }), planConfig({ ports: PORTS, vars: VARS }));
    expect(types(result.actions)).not.toContain('assign-ports');
    expect(result.actions.find((a) => a.type === 'update-ports')).toMatchObject({ path: '/elsewhere/a', orphanedSince: null });
  });

  it('names how many blocks are needed when the range is too small, and writes no .env without ports', () => {
    const result = plan(observed({ worktrees: ['a', 'b', 'c', 'd', 'e'].map((id) => managed(id)) }), planConfig({ ports: PORTS, vars: VARS }));
    expect(result.actions.filter((a) => a.type === 'assign-ports')).toHaveLength(3);
    const problems = result.problems.map((p) => p.message);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/ports\.range 20000-20008 holds 3 block\(s\) of 3 port\(s\) and all are taken; 5 block\(s\) are needed \(15 ports\), 2 more than fit/);
    expect(result.actions.filter((a) => a.type === 'write-env')).toHaveLength(3);
  });

  it('releases a gone worktree\'s block after the grace period, with its lease, never for a locked one', () => {
    const gone = block('gone', 20000);
    const waiting = plan(observed({ blocks: [gone] }), planConfig({ ports: PORTS, vars: VARS, graceMs: 10 * MIN }));
    expect(waiting.actions).toEqual([expect.objectContaining({ type: 'update-ports', orphanedSince: new Date(NOW).toISOString() })]);
    expect(waiting.notes[0]?.message).toMatch(/ports 20000-20002: its worktree is gone; released after the grace period, in 10m/);
    const due = plan(observed({ blocks: [{ ...gone, orphanedSince: new Date(NOW - 11 * MIN).toISOString() }] }), planConfig({ ports: PORTS, vars: VARS, graceMs: 10 * MIN }));
    expect(due.actions).toEqual([expect.objectContaining({ type: 'release-ports', first: 20000, reason: 'its worktree is gone' })]);
    const locked = plan(observed({ worktrees: [unmanaged('gone', 'its folder is missing', { locked: true })], blocks: [{ ...gone, orphanedSince: new Date(NOW - 11 * MIN).toISOString() }] }), planConfig({ ports: PORTS, vars: VARS, graceMs: 0 }));
    expect(types(locked.actions)).toEqual(['update-ports']);
  });

  it('hands a released block to a new worktree in the same pass', () => {
    const full = [block('gone', 20000), block('x', 20003), block('y', 20006)];
    const result = plan(observed({ worktrees: [managed('x', { env: synced('x', 20003) }), managed('y', { env: synced('y', 20006) }), managed('new')], blocks: full }), planConfig({ ports: PORTS, vars: { PORT: '{port}' }, graceMs: 0 }));
    expect(result.actions.filter((a) => a.type === 'release-ports' || a.type === 'assign-ports').map((a) => a.type === 'assign-ports' || a.type === 'release-ports' ? [a.type, a.first] : null)).toEqual([
      ['release-ports', 20000],
      ['assign-ports', 20000],
    ]);
    expect(result.problems).toEqual([]);
  });

  it('releases at once the block of a worktree released by teardown, and blocks that no longer fit the config', () => {
    const torn = plan(observed({ worktrees: [managed('t')], released: [releasedWorktree('t')], blocks: [block('t', 20000)] }), planConfig({ ports: PORTS, vars: VARS }));
    expect(torn.actions).toContainEqual(expect.objectContaining({ type: 'release-ports', first: 20000 }));
    const resized = plan(observed({ worktrees: [managed('a', { env: synced('a', 20000) })], blocks: [block('a', 20000, { size: 2 })] }), planConfig({ ports: PORTS, vars: { PORT: '{port}' } }));
    expect(types(resized.actions)).toEqual(expect.arrayContaining(['release-ports', 'assign-ports']));
  });

  it('a config that only wants ports leases no identity on the local provider (but does on Ravi, for its key)', () => {
    const local = plan(observed({ worktrees: [managed('a')] }), planConfig({ ports: PORTS, vars: { PORT: '{port}' } }));
    expect(types(local.actions)).toEqual(['assign-ports', 'write-env']);
    const ravi = plan(observed({ worktrees: [managed('a')] }), planConfig({ ports: PORTS, vars: { PORT: '{port}' }, provider: 'ravi' }));
    expect(types(ravi.actions)).toEqual(['assign-ports', 'create-identity', 'write-env']);
  });
});
