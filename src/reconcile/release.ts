/**
 * release: what a teardown script runs. Ends this worktree's lease at once (no grace period; teardown
 * has 60 s): the identity goes back to the pool, nothing is deleted and no provider is called. The
 * worktree is recorded as released, so the daemon does not lease it another identity while it is being
 * removed, and the managed block and scoped key leave the worktree.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../util/logger.js';
import type { Config } from '../config/types.js';
import type { Provider } from '../providers/types.js';
import { Ledger, worktreeKey } from '../files/ledger.js';
import { acquireStateLock } from '../files/state-lock.js';
import { withoutManagedBlock } from '../files/env-block.js';
import { retryWhenChanged, writeFileAtomically } from '../files/atomic-write.js';
import { listWorktrees } from '../git/worktrees.js';
import { samePath } from '../util/same-path.js';
import { SCOPED_CONFIG_PATH } from './plan-worktree.js';
import { endLease } from './apply-steps.js';
import { appendAudit } from '../audit/audit-log.js';
import { repoOf } from './apply-audit.js';
import { forgetHanded } from '../agent/handed-messages.js';
import { ownershipProblem } from './repo-claim.js';
import { PortLedger } from '../ports/port-ledger.js';
import { formatBlock } from '../ports/port-slots.js';
import { assertTempFilesIgnored } from './ignore-temp-files.js';

export interface ReleaseReport {
  readonly worktree: string;
  /** The identity whose lease ended, or null when the worktree held none. */
  readonly released: { readonly name: string; readonly uuid: string | null } | null;
  /** The port block that went back to the range (`20000-20002`), or null. */
  readonly ports: string | null;
  readonly envCleaned: boolean;
  readonly scopedKeyRemoved: boolean;
}

export async function releaseWorktree(options: { config: Config; provider: Provider; logger: Logger; worktree: string; lockWaitMs?: number; now?: () => number }): Promise<ReleaseReport> {
  const { config, provider, worktree } = options;
  const inventory = await listWorktrees(worktree);
  let found = null;
  for (const candidate of inventory.worktrees) if (await samePath(candidate.path, worktree)) found = candidate;
  if (found === null || found.adminId === null) return { worktree, released: null, ports: null, envCleaned: false, scopedKeyRemoved: false }; // the main worktree holds nothing
  const owned = await ownershipProblem(inventory.commonDir, config.stateDir);
  if (owned !== null) throw owned;
  const lock = await acquireStateLock(config.stateDir, { waitMs: options.lockWaitMs });
  try {
    const [ledger, ports] = await Promise.all([Ledger.open(config.stateDir, provider.ledgerScope), PortLedger.open(config.stateDir)]);
    const key = worktreeKey(inventory.commonDir, found.adminId);
    const now = new Date((options.now ?? Date.now)()).toISOString();
    const held = ledger.leaseOf(key);
    ledger.releaseWorktree({ worktreeKey: key, commonDir: inventory.commonDir, adminId: found.adminId, worktreePath: worktree, at: now });
    if (held !== undefined) ledger.put(endLease(held, now));
    await ledger.flush();
    // Its ports go back to the range with the lease (recorded before the files change, like every step).
    const block = ports.block(key);
    ports.remove(key);
    await ports.flush();
    if (held?.lease) await forgetHanded(config.stateDir, held.lease.id);
    const released = held === undefined ? null : { name: held.name, uuid: held.uuid };
    if (released !== null) {
      options.logger.info({ identity: released.name, worktree }, 'lease ended by teardown');
      await appendAudit(config.stateDir, {
        type: 'lease.ended', repo: repoOf(inventory.commonDir), worktree, branch: held?.lease?.branch ?? null, identity: released.name,
        detail: { reason: 'teardown', uuid: released.uuid },
      }).catch((error: unknown) => options.logger.warn({ err: error }, 'could not write the audit log'));
    }
    const envCleaned = await removeManagedBlock(inventory.commonDir, worktree, config.env.file, [...Object.keys(config.env.vars), ...config.env.secrets]);
    const scopedKeyRemoved = released?.uuid != null && (await removeScopedKey(join(worktree, SCOPED_CONFIG_PATH), released.uuid));
    return { worktree, released, ports: block === undefined ? null : formatBlock(block), envCleaned, scopedKeyRemoved };
  } finally {
    await lock.release();
  }
}

/** Takes our managed block out of an env file, keeping every other byte; false when there was none. */
export async function removeManagedBlock(commonDir: string, worktree: string, relPath: string, managedKeys: readonly string[]): Promise<boolean> {
  const file = join(worktree, relPath);
  // An edit landing between our read and our rename starts over from the read (atomic-write.ts).
  return retryWhenChanged(async () => {
    let current: Buffer;
    try {
      current = await readFile(file);
    } catch {
      return false;
    }
    const without = withoutManagedBlock(current, managedKeys); // bytes: a user's invalid UTF-8 survives
    if (without === null) return false;
    await assertTempFilesIgnored(commonDir, worktree, relPath);
    await writeFileAtomically(file, without, { mode: 0o600, within: worktree, basedOn: current });
    return true;
  });
}

/** Removes `.ravi/config.json` when it holds our key for `uuid`; any other file is left alone. */
export async function removeScopedKey(file: string, uuid: string): Promise<boolean> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as { identity_uuid?: unknown };
    if (parsed.identity_uuid !== uuid) return false; // not the key we wrote: leave it
  } catch {
    return false;
  }
  await rm(file, { force: true });
  return true;
}
