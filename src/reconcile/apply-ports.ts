/**
 * The port ledger's steps. A block is recorded (fsynced) before any `.env` names it, and assignments run
 * one at a time against the ledger as it is then, so a kill at any moment never gives one port to two
 * worktrees. A slot with a port some program listens on is skipped, never handed out.
 */
import type { Action } from './actions.js';
import type { ApplyContext } from './apply.js';
import { formatBlock, freeSlots } from '../ports/port-slots.js';
import { busyPorts } from '../ports/port-probe.js';

type StepOf<T extends Action['type']> = Extract<Action, { type: T }>;

/**
 * Records the first free block for the worktree (flushed by the caller, together with the others of the pass);
 * returns a note when it had to skip a block in use or took another than the plan showed.
 */
export function assignBlock(action: StepOf<'assign-ports'>, context: ApplyContext, now: string): Promise<string | null> {
  return context.ports.serially(async () => {
    const config = context.config.ports;
    if (config === null) throw new Error('ports is not configured');
    if (context.ports.block(action.key) !== undefined) return null; // assigned meanwhile (a retried step)
    const skipped: string[] = [];
    for (const first of freeSlots(config, context.ports.state().blocks.values())) {
      const block = { first, size: config.perWorktree };
      const busy = await busyPorts(Array.from({ length: block.size }, (_, i) => first + i));
      if (busy.length > 0) {
        skipped.push(`${formatBlock(block)} (${busy.join(', ')} in use)`);
        continue;
      }
      context.ports.put({
        worktreeKey: action.key, commonDir: action.commonDir, adminId: action.adminId, worktreePath: action.worktreePath,
        first, size: block.size, assignedAt: now, orphanedSince: null,
      });
      context.logger.info({ worktree: action.worktreePath, ports: formatBlock(block) }, 'ports assigned');
      if (first !== action.first || skipped.length > 0) return `took ${formatBlock(block)}${skipped.length > 0 ? `; skipped ${skipped.join(', ')}` : ''}`;
      return null;
    }
    throw new Error(`no free block of ${config.perWorktree} port(s) left in ${config.first}-${config.last}${skipped.length > 0 ? ` (skipped, in use: ${skipped.join(', ')})` : ''}: widen ports.range or lower ports.perWorktree`);
  });
}

export async function releasePortsStep(action: StepOf<'release-ports'>, context: ApplyContext): Promise<void> {
  const block = context.ports.block(action.key);
  if (block === undefined || block.first !== action.first) return; // already gone, or reassigned since the plan
  context.ports.remove(action.key);
  await context.ports.flush();
  context.logger.info({ ports: formatBlock(block), reason: action.reason }, 'ports released');
}

export async function updatePortsStep(action: StepOf<'update-ports'>, context: ApplyContext): Promise<void> {
  const block = context.ports.block(action.key);
  if (block === undefined) return;
  context.ports.put({ ...block, worktreePath: action.path ?? block.worktreePath, orphanedSince: action.orphanedSince });
  await context.ports.flush();
}
