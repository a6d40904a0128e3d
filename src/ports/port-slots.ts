/**
 * Where blocks may go, as pure arithmetic: the range is cut into aligned slots of `perWorktree` ports
 * (slot i starts at first + i * perWorktree), so blocks never overlap by construction and a free slot is
 * a simple lookup. A block that does not sit on a slot of the current config (the range or the size
 * changed) is reassigned.
 */
import type { PortBlock } from './port-ledger.js';

export interface PortsConfig {
  readonly perWorktree: number;
  readonly first: number;
  readonly last: number;
}

export function slotCount(config: PortsConfig): number {
  return Math.floor((config.last - config.first + 1) / config.perWorktree);
}

export function slotStart(config: PortsConfig, slot: number): number {
  return config.first + slot * config.perWorktree;
}

/** Whether a recorded block is one of the current config's slots. */
export function fitsConfig(block: Pick<PortBlock, 'first' | 'size'>, config: PortsConfig): boolean {
  return block.size === config.perWorktree && block.first >= config.first && (block.first - config.first) % config.perWorktree === 0 && block.first + block.size - 1 <= config.last;
}

/** The ports of a block, in order. */
export function portsOf(block: Pick<PortBlock, 'first' | 'size'>): number[] {
  return Array.from({ length: block.size }, (_, i) => block.first + i);
}

/** Whether two blocks share a port (blocks of another config, another size, still count). */
export function overlaps(a: Pick<PortBlock, 'first' | 'size'>, b: Pick<PortBlock, 'first' | 'size'>): boolean {
  return a.first <= b.first + b.size - 1 && b.first <= a.first + a.size - 1;
}

/** Free slots in order, given the blocks already taken (any of which may overlap a slot). */
export function* freeSlots(config: PortsConfig, taken: Iterable<Pick<PortBlock, 'first' | 'size'>>): Generator<number> {
  const blocks = [...taken];
  for (let slot = 0; slot < slotCount(config); slot++) {
    const candidate = { first: slotStart(config, slot), size: config.perWorktree };
    if (!blocks.some((block) => overlaps(block, candidate))) yield candidate.first;
  }
}

/** `20000-20002` */
export function formatBlock(block: Pick<PortBlock, 'first' | 'size'>): string {
  return block.size === 1 ? String(block.first) : `${block.first}-${block.first + block.size - 1}`;
}
