/**
 * The port ledger: which worktree holds which block of ports (issue 17). One per state dir, whatever the
 * provider, because the state dir owns the whole range and repos share it. A journaled store
 * (journaled-store.ts), like the identity ledger: a block is on disk before any `.env` names it.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { JournaledStore, type StoreModel } from '../files/journaled-store.js';

export interface PortBlock {
  readonly worktreeKey: string;
  readonly commonDir: string;
  readonly adminId: string;
  /** Last known path, for status and people. */
  readonly worktreePath: string;
  readonly first: number;
  readonly size: number;
  readonly assignedAt: string;
  /** When the worktree was first seen gone; null while it exists. */
  readonly orphanedSince: string | null;
}

export interface PortState {
  readonly blocks: ReadonlyMap<string, PortBlock>;
}

const blockSchema = z.object({
  worktreeKey: z.string().min(1),
  commonDir: z.string().min(1),
  adminId: z.string().min(1),
  worktreePath: z.string(),
  first: z.number().int().min(1).max(65_535),
  size: z.number().int().min(1),
  assignedAt: z.string(),
  orphanedSince: z.string().nullable(),
});
const snapshotSchema = z.object({ version: z.literal(1), generation: z.number().int().min(0), blocks: z.record(z.string(), blockSchema) });
const opSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('put'), block: blockSchema }),
  z.object({ op: z.literal('remove'), worktreeKey: z.string().min(1) }),
]);
type PortOp = z.infer<typeof opSchema>;
interface MutablePortState {
  blocks: Map<string, PortBlock>;
}

const model: StoreModel<MutablePortState, PortOp> = {
  what: 'port ledger',
  empty: () => ({ blocks: new Map() }),
  fromSnapshot(json) {
    const parsed = snapshotSchema.safeParse(json);
    if (!parsed.success) throw new Error(`is malformed at ${parsed.error.issues[0]?.path.join('.') || '(root)'}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    return { state: { blocks: new Map(Object.values(parsed.data.blocks).map((b) => [b.worktreeKey, b])) }, generation: parsed.data.generation, migrated: false };
  },
  toSnapshot: (state, generation) => ({ version: 1, generation, blocks: Object.fromEntries([...state.blocks].sort(([a], [b]) => a.localeCompare(b))) }),
  parseOp: (json) => {
    const parsed = opSchema.safeParse(json);
    return parsed.success ? parsed.data : null;
  },
  apply(state, op) {
    if (op.op === 'put') state.blocks.set(op.block.worktreeKey, op.block);
    else state.blocks.delete(op.worktreeKey);
  },
};

export function portLedgerFile(stateDir: string): string {
  return join(stateDir, 'ports.json');
}

export class PortLedger {
  readonly #store: JournaledStore<MutablePortState, PortOp>;
  /** Assignments run one at a time, so two worktrees of one pass never pick the same free block. */
  #assigning: Promise<unknown> = Promise.resolve();

  private constructor(store: JournaledStore<MutablePortState, PortOp>) {
    this.#store = store;
  }

  static async open(stateDir: string): Promise<PortLedger> {
    return new PortLedger(await JournaledStore.open(portLedgerFile(stateDir), model));
  }

  get file(): string {
    return this.#store.file;
  }

  /** Whether this instance still holds what is on disk (no other process wrote since; nothing unflushed). */
  isCurrent(): Promise<boolean> {
    return this.#store.isCurrent();
  }

  state(): PortState {
    return { blocks: new Map(this.#store.state.blocks) };
  }

  block(worktreeKey: string): PortBlock | undefined {
    return this.#store.state.blocks.get(worktreeKey);
  }

  put(block: PortBlock): void {
    this.#store.record({ op: 'put', block });
  }

  remove(worktreeKey: string): void {
    if (this.#store.state.blocks.has(worktreeKey)) this.#store.record({ op: 'remove', worktreeKey });
  }

  flush(): Promise<void> {
    return this.#store.flush();
  }

  compactIfLarge(): Promise<void> {
    return this.#store.compactIfLarge();
  }

  /** Runs `task` after every assignment before it has finished. */
  serially<T>(task: () => Promise<T>): Promise<T> {
    const next = this.#assigning.then(task);
    this.#assigning = next.catch(() => {});
    return next;
  }
}
