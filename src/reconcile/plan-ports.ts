/**
 * Port blocks (issue 17): every managed worktree gets a block of `ports.perWorktree` consecutive ports in
 * `ports.range`; a block is stable while its worktree lives (keyed by the worktree, so `git worktree move`
 * keeps it) and goes back to the range with the worktree's lease: after the grace period, at once by a
 * teardown. Which free slot a worktree gets is settled when the step runs (a port in use is skipped
 * there); the plan shows the first free one. Pure.
 */
import type { RepoInventory } from '../git/types.js';
import type { PortBlock } from '../ports/port-ledger.js';
import { fitsConfig, formatBlock, freeSlots, slotCount } from '../ports/port-slots.js';
import type { ObservedRepo, ObservedWorktree } from './observed.js';
import type { PlanContext } from './plan.js';
import { formatDuration } from './plan-leftovers.js';

export interface PortFacts {
  readonly first: number;
  readonly size: number;
}

/** The block the worktree's env file names; `missing` when ports are configured but none can be had. */
export interface PlannedPorts {
  readonly ports: PortFacts | null;
  readonly missing: boolean;
}

export function planWorktreePorts(observed: ObservedWorktree, inventory: RepoInventory, context: PlanContext): PlannedPorts {
  const key = observed.key as string;
  const path = observed.worktree.path;
  const target = { key, commonDir: inventory.commonDir, worktreePath: path };
  const config = context.config.ports;
  const held = context.ports.blocks.get(key);
  if (config === null) {
    if (held !== undefined) release(held, 'ports is no longer configured', context, path);
    return { ports: null, missing: false };
  }
  if (held !== undefined && fitsConfig(held, config)) {
    if (held.worktreePath !== path || held.orphanedSince !== null) context.actions.push({ ...target, type: 'update-ports', path, orphanedSince: null });
    return { ports: { first: held.first, size: held.size }, missing: false };
  }
  if (held !== undefined) release(held, `the block no longer fits ports (${formatBlock(held)})`, context, path);
  const first = nextFree(context);
  if (first === null) {
    context.portsWanted.push(path);
    return { ports: null, missing: true };
  }
  context.portsTaken.push({ first, size: config.perWorktree });
  context.actions.push({ ...target, type: 'assign-ports', adminId: observed.worktree.adminId as string, branch: observed.worktree.branch, first, size: config.perWorktree });
  return { ports: { first, size: config.perWorktree }, missing: false };
}

/** Blocks of worktrees that are no longer managed: kept for a locked worktree, else released after the grace period. */
export function planLeftoverPorts(repo: ObservedRepo, inventory: RepoInventory, managedKeys: ReadonlySet<string>, context: PlanContext): void {
  const byAdminId = new Map(repo.worktrees.map((w) => [w.worktree.adminId, w]));
  for (const block of context.ports.blocks.values()) {
    if (block.commonDir !== inventory.commonDir || managedKeys.has(block.worktreeKey)) continue;
    const target = { key: block.worktreeKey, commonDir: block.commonDir, worktreePath: null };
    const observed = byAdminId.get(block.adminId);
    if (observed?.worktree.locked) {
      if (block.orphanedSince !== null) context.actions.push({ ...target, type: 'update-ports', path: null, orphanedSince: null });
      continue;
    }
    const why = observed === undefined ? 'its worktree is gone' : (observed.unmanagedReason ?? 'its worktree is no longer managed');
    if (context.config.ports === null || context.ledger.released.has(block.worktreeKey)) {
      release(block, context.config.ports === null ? 'ports is no longer configured' : 'its worktree was released by teardown', context, null);
      continue;
    }
    const since = block.orphanedSince === null ? context.now : Date.parse(block.orphanedSince);
    if (block.orphanedSince === null) context.actions.push({ ...target, type: 'update-ports', path: null, orphanedSince: new Date(context.now).toISOString() });
    const remainingMs = since + context.config.orphans.graceMs - context.now;
    if (remainingMs > 0) context.notes.push({ commonDir: block.commonDir, message: `ports ${formatBlock(block)}: ${why}; released after the grace period, in ${formatDuration(remainingMs)}` });
    else release(block, why, context, null);
  }
}

/** A worktree a teardown released keeps no ports (they go with its lease), while it waits to be removed. */
export function releasePortsOfReleased(key: string, commonDir: string, path: string, context: PlanContext): void {
  const block = context.ports.blocks.get(key);
  if (block !== undefined && block.commonDir === commonDir) release(block, 'its worktree was released by teardown', context, path);
}

/** Says, once per pass, that the range is too small, and how many blocks it would take. */
export function reportMissingPorts(context: PlanContext): void {
  const config = context.config.ports;
  if (config === null || context.portsWanted.length === 0) return;
  const slots = slotCount(config);
  const held = [...context.ports.blocks.values()].filter((b) => fitsConfig(b, config) && !context.portsReleased.has(b.worktreeKey)).length + context.portsTaken.length;
  const needed = held + context.portsWanted.length;
  const message = `ports.range ${config.first}-${config.last} holds ${slots} block(s) of ${config.perWorktree} port(s) and all are taken; ${needed} block(s) are needed (${needed * config.perWorktree} ports), ${context.portsWanted.length} more than fit: widen ports.range or lower ports.perWorktree`;
  for (const path of context.portsWanted) context.problems.push({ commonDir: null, worktreePath: path, message });
}

function nextFree(context: PlanContext): number | null {
  const config = context.config.ports;
  if (config === null) return null;
  const taken = [...[...context.ports.blocks.values()].filter((b) => !context.portsReleased.has(b.worktreeKey)), ...context.portsTaken];
  const next = freeSlots(config, taken).next();
  return next.done === true ? null : next.value;
}

function release(block: PortBlock, reason: string, context: PlanContext, worktreePath: string | null): void {
  context.portsReleased.add(block.worktreeKey);
  context.actions.push({ type: 'release-ports', key: block.worktreeKey, commonDir: block.commonDir, worktreePath, first: block.first, size: block.size, reason });
}
