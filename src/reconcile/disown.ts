/**
 * disown: hands a repo over. Run with the state dir that manages it, it ends every lease of the repo's
 * worktrees (the identities go back to that state dir's pool), takes the managed block and scoped key
 * out of each worktree (so no `.env` keeps an identity another worktree may lease), forgets the repo's
 * released worktrees and removes the claim, so another state dir may manage the repo.
 */
import { join } from 'node:path';
import type { Logger } from '../util/logger.js';
import type { Config } from '../config/types.js';
import type { Provider } from '../providers/types.js';
import { Ledger } from '../files/ledger.js';
import { acquireStateLock } from '../files/state-lock.js';
import { listWorktrees } from '../git/worktrees.js';
import { appendAudit } from '../audit/audit-log.js';
import { forgetHanded } from '../agent/handed-messages.js';
import { endLease } from './apply-steps.js';
import { repoOf } from './apply-audit.js';
import { removeManagedBlock, removeScopedKey } from './release.js';
import { SCOPED_CONFIG_PATH } from './plan-worktree.js';
import { ownershipProblem, releaseClaim } from './repo-claim.js';
import { PortLedger } from '../ports/port-ledger.js';

export interface DisownReport {
  readonly repo: string;
  /** Identities whose lease ended. */
  readonly released: readonly string[];
  /** Whether this state dir's claim was removed (false: it had none). */
  readonly claimRemoved: boolean;
}

export async function disownRepo(options: { config: Config; provider: Provider; logger: Logger; repo: string; lockWaitMs?: number }): Promise<DisownReport> {
  const { config, provider } = options;
  const inventory = await listWorktrees(options.repo);
  const owned = await ownershipProblem(inventory.commonDir, config.stateDir);
  if (owned !== null) throw owned;
  const lock = await acquireStateLock(config.stateDir, { waitMs: options.lockWaitMs });
  try {
    const [ledger, ports] = await Promise.all([Ledger.open(config.stateDir, provider.ledgerScope), PortLedger.open(config.stateDir)]);
    for (const block of ports.state().blocks.values()) if (block.commonDir === inventory.commonDir) ports.remove(block.worktreeKey);
    await ports.flush();
    const now = new Date().toISOString();
    const held = ledger.identities().filter((identity) => identity.lease?.commonDir === inventory.commonDir);
    for (const identity of held) ledger.put(endLease(identity, now));
    for (const released of ledger.state().released.values()) if (released.commonDir === inventory.commonDir) ledger.reviveWorktree(released.worktreeKey);
    await ledger.flush();
    await ledger.compactIfLarge();
    for (const identity of held) {
      const lease = identity.lease!;
      await forgetHanded(config.stateDir, lease.id);
      if (inventory.worktrees.some((w) => w.path === lease.worktreePath)) {
        await removeManagedBlock(inventory.commonDir, lease.worktreePath, config.env.file, [...Object.keys(config.env.vars), ...config.env.secrets]);
        if (identity.uuid !== null) await removeScopedKey(join(lease.worktreePath, SCOPED_CONFIG_PATH), identity.uuid);
      }
      await appendAudit(config.stateDir, {
        type: 'lease.ended', repo: repoOf(inventory.commonDir), worktree: lease.worktreePath, branch: lease.branch, identity: identity.name,
        detail: { reason: 'disown: the repo is handed over to another state dir', uuid: identity.uuid },
      }).catch((error: unknown) => options.logger.warn({ err: error }, 'could not write the audit log'));
    }
    const claimRemoved = await releaseClaim(inventory.commonDir, config.stateDir);
    return { repo: inventory.mainPath, released: held.map((identity) => identity.name), claimRemoved };
  } finally {
    await lock.release();
  }
}
