/**
 * release: what a teardown script runs. Deletes this worktree's identity at once (no grace period,
 * teardown has 60 s), leaves a 'released' tombstone so the daemon does not re-create it while the
 * worktree is being removed, and takes the managed block and scoped key out of the worktree.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import type { Provider } from '../providers/types.js';
import { Ledger, entryKey, type LedgerEntry } from '../files/ledger.js';
import { acquireStateLock } from '../files/state-lock.js';
import { withoutManagedBlock } from '../files/env-block.js';
import { writeFileAtomically } from '../files/atomic-write.js';
import { listWorktrees } from '../git/worktrees.js';
import { samePath } from '../util/same-path.js';
import { SCOPED_CONFIG_PATH, oldestNamed } from './plan-worktree.js';
import { appendAudit } from '../audit/audit-log.js';
import { repoOf } from './apply-audit.js';
import { assertTempFilesIgnored } from './ignore-temp-files.js';

export interface ReleaseReport {
  readonly worktree: string;
  /** The identity deleted, or null when there was none to delete. */
  readonly released: { readonly name: string; readonly uuid: string } | null;
  readonly envCleaned: boolean;
  readonly scopedKeyRemoved: boolean;
}

export async function releaseWorktree(options: { config: Config; provider: Provider; logger: Logger; worktree: string; lockWaitMs?: number }): Promise<ReleaseReport> {
  const { config, provider, worktree } = options;
  const inventory = await listWorktrees(worktree);
  let adminId: string | null = null;
  for (const candidate of inventory.worktrees) if (await samePath(candidate.path, worktree)) adminId = candidate.adminId;
  if (adminId === null) return { worktree, released: null, envCleaned: false, scopedKeyRemoved: false }; // the main worktree owns nothing
  const lock = await acquireStateLock(config.stateDir, { waitMs: options.lockWaitMs });
  try {
    const ledger = await Ledger.open(config.stateDir, provider.ledgerScope);
    const key = entryKey(inventory.commonDir, adminId);
    const entry = ledger.get(key);
    const released = entry === undefined ? null : await deleteOwned(entry, provider, worktree);
    if (entry !== undefined) {
      ledger.set({ ...entry, state: 'released', uuid: null, email: null, phone: null, orphanedSince: null });
      await ledger.flush();
    }
    if (released !== null) {
      options.logger.info({ identity: released.name, worktree }, 'identity released by teardown');
      await appendAudit(config.stateDir, {
        type: 'identity.deleted', repo: repoOf(inventory.commonDir), worktree, branch: entry?.branch ?? null, identity: released.name,
        detail: { reason: 'teardown', uuid: released.uuid },
      }).catch((error: unknown) => options.logger.warn({ err: error }, 'could not write the audit log'));
    }
    const envCleaned = await removeManagedBlock(inventory.commonDir, worktree, config.env.file, [...Object.keys(config.env.vars), ...config.env.secrets]);
    const scopedKeyRemoved = released !== null && (await removeScopedKey(join(worktree, SCOPED_CONFIG_PATH), released.uuid));
    return { worktree, released, envCleaned, scopedKeyRemoved };
  } finally {
    await lock.release();
  }
}

/** Only what the ledger owns: the recorded uuid, or for an interrupted create the identity of exactly that name. */
async function deleteOwned(entry: LedgerEntry, provider: Provider, worktree: string): Promise<{ name: string; uuid: string } | null> {
  let uuid = entry.state === 'active' ? entry.uuid : null;
  if (entry.state === 'pending') uuid = oldestNamed(await provider.listIdentities({ worktree }), entry.name)?.uuid ?? null;
  if (uuid === null) return null;
  await provider.deleteIdentity(uuid, { worktree });
  return { name: entry.name, uuid };
}

async function removeManagedBlock(commonDir: string, worktree: string, relPath: string, managedKeys: readonly string[]): Promise<boolean> {
  const file = join(worktree, relPath);
  let current: Buffer;
  try {
    current = await readFile(file);
  } catch {
    return false;
  }
  const without = withoutManagedBlock(current, managedKeys); // bytes: a user's invalid UTF-8 survives
  if (without === null) return false;
  await assertTempFilesIgnored(commonDir, worktree, relPath);
  await writeFileAtomically(file, without, { mode: 0o600 });
  return true;
}

async function removeScopedKey(file: string, uuid: string): Promise<boolean> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as { identity_uuid?: unknown };
    if (parsed.identity_uuid !== uuid) return false; // not the key we wrote: leave it
  } catch {
    return false;
  }
  await rm(file, { force: true });
  return true;
}
