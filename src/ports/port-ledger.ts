/**
 * The port ledger: which worktree holds which block of ports (issue 17). One per state dir, whatever the
 * provider, because the state dir owns the whole range and repos share it. A journaled store
 * (journaled-store.ts), like the identity ledger: a block is on disk before any `.env` names it.
 */
import { join } from 'node:path';
import * as v from 'valibot';
import { firstIssue } from '../files/schema-issue.js';
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

const blockSchema = v.object({
  worktreeKey: v.pipe(v.string(), v.minLength(1)),
  commonDir: v.pipe(v.string(), v.minLength(1)),
  adminId: v.pipe(v.string(), v.minLength(1)),
  worktreePath: v.string(),
  first: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65_535)),
  size: v.pipe(v.number(), v.integer(), v.minValue(1)),
  assignedAt: v.string(),
  orphanedSince: v.nullable(v.string()),
});
const snapshotSchema = v.object({ version: v.literal(1), generation: v.pipe(v.number(), v.integer(), v.minValue(0)), blocks: v.record(v.string(), blockSchema) });
const opSchema = v.variant('op', [
  v.object({ op: v.literal('put'), block: blockSchema }),
  v.object({ op: v.literal('remove'), worktreeKey: v.pipe(v.string(), v.minLength(1)) }),
]);
type PortOp = v.InferOutput<typeof opSchema>;
interface MutablePortState {
  blocks: Map<string, PortBlock>;
}

const model: StoreModel<MutablePortState, PortOp> = {
  what: 'port ledger',
  empty: () => ({ blocks: new Map() }),
  fromSnapshot(json) {
    const parsed = v.safeParse(snapshotSchema, json);
    if (!parsed.success) throw new Error(`is malformed at ${firstIssue(parsed.issues)}`);
    return { state: { blocks: new Map(Object.values(parsed.output.blocks).map((b) => [b.worktreeKey, b])) }, generation: parsed.output.generation, migrated: false };
  },
  toSnapshot: (state, generation) => ({ version: 1, generation, blocks: Object.fromEntries([...state.blocks].sort(([a], [b]) => a.localeCompare(b))) }),
  parseOp: (json) => {
    const parsed = v.safeParse(opSchema, json);
    return parsed.success ? parsed.output : null;
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
