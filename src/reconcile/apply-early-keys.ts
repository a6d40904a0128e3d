/**
 * A lease's scoped key is asked for as soon as the lease is recorded, while that record goes to disk with the
 * pass's other write-ahead records (apply-write-ahead.ts): the mint call no longer waits for the ledger's fsync
 * and the worktree's last checks before writing. Measured (bench/call-timeline.mjs, lease path): the first key
 * went out 10-40 ms after the plan, behind the journal append, its fsync and the audit of the lease step.
 *
 * What stays as it was: the key is written into the worktree only by its scoped-key step, after the lease is on
 * disk and the checks before the write passed (apply-scoped-key.ts). A key whose lease did not land, or whose
 * worktree refuses the write, is dropped unused (there is no revoke call: RAVI-CONTRACT.md); it was held in
 * memory only. A create's lease is not here: its key comes with the create (apply-steps.ts).
 */
import type { Action } from './actions.js';
import type { ApplyContext } from './apply.js';
import type { LedgerIdentity } from '../files/ledger.js';
import type { ScopedKey } from '../providers/types.js';

/** A mint already asked for, by worktree key; `lease` is the lease id it was asked for. */
export interface EarlyKey {
  readonly uuid: string;
  readonly lease: string;
  readonly outcome: Promise<{ ok: true; key: ScopedKey } | { ok: false; error: unknown }>;
}

/** Starts the mint of every group that leases an idle identity and writes its scoped key; `recorded`: leases put. */
export function mintEarly(groups: readonly Action[][], recorded: ReadonlySet<Action>, context: ApplyContext): Map<string, EarlyKey> {
  const early = new Map<string, EarlyKey>();
  for (const group of groups) {
    const lease = group.find((action) => action.type === 'lease-identity');
    const writes = group.find((action) => action.type === 'write-scoped-key');
    if (lease === undefined || writes === undefined || !recorded.has(lease) || writes.worktreePath === null) continue;
    const entry = context.ledger.identity(lease.name);
    if (entry?.uuid == null || entry.lease?.worktreeKey !== lease.key) continue;
    const outcome = mintKey(context, entry, writes.worktreePath).then(
      (key) => ({ ok: true as const, key }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    early.set(lease.key, { uuid: entry.uuid, lease: entry.lease.id, outcome });
  }
  return early;
}

/** The key asked for early for this worktree's current lease, once; undefined when none was (then mint). */
export async function takeEarlyKey(context: ApplyContext, worktreeKey: string, entry: LedgerIdentity): Promise<ScopedKey | undefined> {
  const early = context.earlyKeys?.get(worktreeKey);
  if (early === undefined) return undefined;
  context.earlyKeys?.delete(worktreeKey);
  const outcome = await early.outcome;
  if (early.uuid !== entry.uuid || early.lease !== entry.lease?.id) return undefined; // not this lease's: mint anew
  if (!outcome.ok) throw outcome.error;
  return outcome.key;
}

export function mintKey(context: ApplyContext, entry: LedgerIdentity, worktreePath: string): Promise<ScopedKey> {
  // Names the lease, so a key listed in Ravi's web UI can be traced to the worktree that got it.
  const label = `ravi-orchestrator ${entry.name} lease ${entry.lease?.id.slice(0, 8) ?? ''}`.trim();
  return context.provider.mintScopedKey(entry.uuid as string, label, { signal: context.signal, worktree: worktreePath });
}
