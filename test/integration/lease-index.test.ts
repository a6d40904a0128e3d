/**
 * Ledger.leaseOf answers from an index kept in step with put and remove (lease-index.ts): it must give exactly
 * the scan's answer (leaseHeldBy over the identities, in the ledger's order) after any sequence of changes,
 * including a ledger that broke the one-lease-per-worktree rule, and in a view reopened from disk.
 */
import fc from 'fast-check';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Ledger, leaseHeldBy, type LedgerIdentity } from '../../src/files/ledger.js';
import { cleanupTempDirs, createTempDir } from '../support/git-fixtures.js';

afterAll(cleanupTempDirs);

const NAMES = ['a', 'b', 'c', 'd'];
const KEYS = ['wt-1', 'wt-2', 'wt-3'];

function record(name: string, key: string | null): LedgerIdentity {
  return {
    name, state: 'ready', uuid: `uuid-${name}`, email: `${name}@x`, phone: null, createdAt: '2026-11-01T00:00:00.000Z',
    lease: key === null ? null : {
      id: `lease-${name}-${key}`, worktreeKey: key, commonDir: '/r/.git', adminId: key, worktreePath: `/w/${key}`, branch: null,
      since: '2026-11-03T00:00:00.000Z', orphanedSince: null,
    },
    idleSince: key === null ? '2026-11-02T00:00:00.000Z' : null, lastHolder: null, leases: 1,
  };
}

const change = fc.oneof(
  fc.record({ op: fc.constant('put' as const), name: fc.constantFrom(...NAMES), key: fc.option(fc.constantFrom(...KEYS), { nil: null }) }),
  fc.record({ op: fc.constant('remove' as const), name: fc.constantFrom(...NAMES) }),
);

function expectSameAsScan(ledger: Ledger): void {
  for (const key of [...KEYS, 'never-leased']) {
    expect(ledger.leaseOf(key)?.name).toBe(leaseHeldBy(ledger.identities(), key)?.name);
  }
}

describe('Ledger.leaseOf', () => {
  it('gives the scan\'s answer after every put and remove, duplicate leases included', async () => {
    const dir = await createTempDir('ravi-lease-index-');
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(change, { maxLength: 30 }), fc.nat(30), async (changes, askFrom) => {
        const stateDir = join(dir, `state-${run++}`);
        const ledger = await Ledger.open(stateDir, 'local');
        for (const [index, step] of changes.entries()) {
          if (index === askFrom) expectSameAsScan(ledger); // the index is built at the first question, mid-sequence
          if (step.op === 'put') ledger.put(record(step.name, step.key));
          else ledger.remove(step.name);
          if (index >= askFrom) expectSameAsScan(ledger);
        }
        expectSameAsScan(ledger);
        await ledger.flush();
        expectSameAsScan(await Ledger.open(stateDir, 'local'));
      }),
      { numRuns: 60 },
    );
  });

  it('finds the holder among many identities and moves with a lease that changes hands', async () => {
    const ledger = await Ledger.open(join(await createTempDir('ravi-lease-index-'), 'state'), 'local');
    for (let i = 0; i < 200; i++) ledger.put(record(`id-${i}`, i % 2 === 0 ? `wt-${i}` : null));
    expect(ledger.leaseOf('wt-100')?.name).toBe('id-100');
    expect(ledger.leaseOf('wt-101')).toBeUndefined();
    ledger.put(record('id-100', null)); // the lease ends
    ledger.put(record('id-101', 'wt-100')); // another identity takes the worktree
    expect(ledger.leaseOf('wt-100')?.name).toBe('id-101');
    ledger.remove('id-101');
    expect(ledger.leaseOf('wt-100')).toBeUndefined();
  });
});
