/**
 * `<worktree>/.ravi/config.json` with a key that acts as this worktree's identity only, so the stock
 * `ravi` CLI run inside the worktree reads this agent's inbox and no other (RAVI-CONTRACT.md).
 */
import type { Action } from './actions.js';
import type { ApplyContext, WorktreeLookup } from './apply.js';
import { writeFileAtomically } from '../files/atomic-write.js';
import { assertWritable } from './apply-ignore.js';
import { SCOPED_CONFIG_PATH } from './plan-worktree.js';

export async function writeScopedKeyStep(
  action: Extract<Action, { type: 'write-scoped-key' }>,
  context: ApplyContext,
  lookup: ReadonlyMap<string, WorktreeLookup>,
): Promise<void> {
  const entry = context.ledger.leaseOf(action.key);
  if (entry === undefined || entry.state !== 'ready' || entry.uuid === null || action.worktreePath === null) {
    throw new Error(`no identity to scope a key to for ${action.worktreePath ?? action.key}`);
  }
  await assertWritable(lookup.get(action.key), action.commonDir, action.worktreePath, SCOPED_CONFIG_PATH, { excluded: context.excluded, looks: context.ignoreLooks });
  // Names the lease, so a key listed in Ravi's web UI can be traced to the worktree that got it.
  const label = `ravi-orchestrator ${entry.name} lease ${entry.lease?.id.slice(0, 8) ?? ''}`.trim();
  const scoped = await context.provider.mintScopedKey(entry.uuid, label, { signal: context.signal, worktree: action.worktreePath });
  const file = {
    identity_key: scoped.key,
    identity_uuid: entry.uuid,
    identity_name: entry.name,
  };
  await writeFileAtomically(action.file, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, dirMode: 0o700 });
  context.logger.info({ identity: entry.name, worktree: action.worktreePath }, 'scoped key written');
}
