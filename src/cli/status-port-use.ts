/**
 * `status` rows with who listens on each worktree's ports: a block is never moved under a running server,
 * but a port taken by a program outside the worktree is reported.
 */
import { portsOf } from '../ports/port-slots.js';
import { describePortsInUse, portsInUse, type PortInUse } from '../ports/port-usage.js';
import type { Observed } from '../reconcile/observed.js';
import type { StatusRow } from '../reconcile/status.js';

export type StatusRowWithPortUse = StatusRow & { readonly portsInUse: PortInUse[]; readonly portsNote: string | null };

export async function withPortUse(rows: readonly StatusRow[], observed: Observed): Promise<StatusRowWithPortUse[]> {
  const keyOf = new Map(observed.repos.flatMap((repo) => repo.worktrees).map((w) => [w.worktree.path, w.key]));
  return Promise.all(rows.map(async (row) => {
    const key = row.worktree === null ? null : (keyOf.get(row.worktree) ?? null);
    const block = key === null ? undefined : observed.ports.blocks.get(key);
    const uses = block === undefined || row.worktree === null ? [] : await portsInUse(portsOf(block), row.worktree);
    return { ...row, portsInUse: uses, portsNote: describePortsInUse(uses) };
  }));
}
