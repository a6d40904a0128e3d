/**
 * `<worktree>/.ravi/config.json` with a key that acts as this worktree's identity only, so the stock
 * `ravi` CLI run inside the worktree reads this agent's inbox and no other (RAVI-CONTRACT.md).
 */
import type { Action } from './actions.js';
import type { ApplyContext, WorktreeLookup } from './apply.js';
import { writeFileAtomically } from '../files/atomic-write.js';
import { assertWritable } from './apply-ignore.js';
import { SCOPED_CONFIG_PATH } from './plan-worktree.js';
import { mintKey, takeEarlyKey } from './apply-early-keys.js';
import type { ScopedKey } from '../providers/types.js';

export async function writeScopedKeyStep(
  action: Extract<Action, { type: 'write-scoped-key' }>,
  context: ApplyContext,
  lookup: ReadonlyMap<string, WorktreeLookup>,
): Promise<void> {
  const entry = context.ledger.leaseOf(action.key);
  if (entry === undefined || entry.state !== 'ready' || entry.uuid === null || action.worktreePath === null) {
    throw new Error(`no identity to scope a key to for ${action.worktreePath ?? action.key}`);
  }
  await assertWritable(lookup.get(action.key), action.commonDir, action.worktreePath, SCOPED_CONFIG_PATH, { excluded: context.excluded, appended: context.appendedExcludes, looks: context.ignoreLooks });
  const scoped = takeIssuedKey(context, entry.uuid) ?? (await takeEarlyKey(context, action.key, entry)) ?? (await mintKey(context, entry, action.worktreePath));
  const file = {
    identity_key: scoped.key,
    identity_uuid: entry.uuid,
    identity_name: entry.name,
  };
  await writeFileAtomically(action.file, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, dirMode: 0o700, within: action.worktreePath });
  context.logger.info({ identity: entry.name, worktree: action.worktreePath }, 'scoped key written');
}

/**
 * The key this pass's create of the identity came with (apply-steps.ts), once: the create already answered
 * with a key acting as that identity only, so a mint call would only cost a round trip at the API's rate limit.
 */
function takeIssuedKey(context: ApplyContext, identityUuid: string): ScopedKey | undefined {
  const issued = context.issuedKeys?.get(identityUuid);
  context.issuedKeys?.delete(identityUuid);
  return issued?.identityUuid === identityUuid ? issued : undefined;
}

