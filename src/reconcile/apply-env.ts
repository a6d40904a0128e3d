/**
 * Rewrites a worktree's env file: re-read right before writing (so a user's edit since observe is
 * kept), render the managed block, back up once if legacy lines are removed, write atomically 0600
 * (whole or not at all, its temp file git-ignored). An unchanged file is not touched. An edit that lands
 * while we write (seen by the write's last look before its rename) starts the step over from the read.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { stat } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Action } from './actions.js';
import type { ObservedEnvFile } from './observed.js';
import type { ApplyContext, StepOutcome, WorktreeLookup } from './apply.js';
import { retryWhenChanged, writeFileAtomically } from '../files/atomic-write.js';
import { EnvFileError } from '../util/errors.js';
import { readEnvFile } from './observe-files.js';
import { needsIdentities, renderWorktreeEnv } from './desired-env.js';
import { vaultFrom } from './plan.js';
import { assertWritable } from './apply-ignore.js';

export async function writeEnvStep(
  action: Extract<Action, { type: 'write-env' }>,
  context: ApplyContext,
  lookup: ReadonlyMap<string, WorktreeLookup>,
): Promise<StepOutcome> {
  const entry = context.ledger.leaseOf(action.key);
  const found = lookup.get(action.key);
  const identityNeeded = needsIdentities(context.config);
  if ((identityNeeded && (entry === undefined || entry.state !== 'ready')) || found === undefined || action.worktreePath === null) {
    throw new Error(`no identity to write into ${action.file}`);
  }
  const block = context.ports.block(action.key);
  if (context.config.ports !== null && block === undefined) throw new Error(`no port block to write into ${action.file}`);
  const relPath = context.config.env.file;
  // A pass that planned before the vault answered (late-vault.ts) waits for it here, before the file is read again.
  const vault = vaultFrom(context.vaultLater === undefined ? context.observed.vault : await context.vaultLater);
  await assertWritable(found, found.inventory.commonDir, action.worktreePath, relPath, { excluded: context.excluded, appended: context.appendedExcludes, looks: context.ignoreLooks });
  const { worktree } = found.observed;
  // Read, render and write as one step, again when someone edits the file between our read and our rename.
  const written = await retryWhenChanged(async () => {
    const current = await readSettledEnvFile(action.worktreePath as string, relPath);
    if (current.error !== null) throw new EnvFileError(current.error, { file: current.path });
    const { render } = renderWorktreeEnv(
      context.config.env,
      identityNeeded ? (entry ?? null) : null,
      { repoName: found.inventory.repoName, adminId: worktree.adminId as string, branch: worktree.branch, ports: context.config.ports === null ? null : block },
      vault,
      current.content,
    );
    if (!render.changed) return null;
    if (render.removedLegacyLines > 0 && current.content !== null) {
      await backupOnce(context.config.stateDir, current.path, current.content);
    }
    await writeFileAtomically(current.path, render.content, { mode: 0o600, dirMode: 0o700, within: action.worktreePath as string, basedOn: current.content });
    return { file: current.path, render };
  });
  if (written === null) return;
  const { file, render } = written;
  context.logger.info({ file, changedKeys: render.changedKeys, removedLegacyLines: render.removedLegacyLines }, 'env file written');
  // Planned before the vault answered, the plan could not name the secrets this write added.
  if (context.vaultLater === undefined) return;
  return { carriedOut: { ...action, changedKeys: render.changedKeys, removedLegacyLines: render.removedLegacyLines } };
}

/** Long enough for an editor's truncate and its write to both land, short enough not to be noticed. */
const EMPTY_SETTLE_MS = 200;
const EMPTY_LOOK_EVERY_MS = 10;

/**
 * The env file, read again while it is empty and was emptied moments ago: an editor that truncates and then
 * writes shows an empty file in between, and a step that took it for the user's whole file would render our block
 * alone, where the user's lines are about to land. Read again just before the rename (basedOn), a write still in
 * flight at that moment would be lost with the file's old inode. An empty file that stays so is taken as it is.
 */
async function readSettledEnvFile(worktreePath: string, relPath: string): Promise<ObservedEnvFile> {
  const deadline = Date.now() + EMPTY_SETTLE_MS;
  for (;;) {
    const current = await readEnvFile(worktreePath, relPath);
    if (current.content === null || current.content.byteLength > 0 || Date.now() >= deadline) return current;
    const changedAt = statSync(current.path, { throwIfNoEntry: false })?.mtimeMs;
    if (changedAt === undefined || Date.now() - changedAt >= EMPTY_SETTLE_MS) return current;
    await sleep(EMPTY_LOOK_EVERY_MS);
  }
}

/**
 * The file as it was before we first removed legacy lines from it, byte for byte, kept in the state dir
 * (never in the worktree, where `git add -A` could pick it up). Only the first backup is kept; it is
 * written atomically like the rest, so a full disk can never leave a cut-off backup that then counts as
 * the first one.
 */
export async function backupOnce(stateDir: string, file: string, content: Uint8Array): Promise<string> {
  const digest = createHash('sha256').update(file).digest('hex').slice(0, 16);
  const backup = join(stateDir, 'backups', `${digest}.env.bak`);
  if (await stat(backup).then(() => true, () => false)) return backup;
  await writeFileAtomically(`${backup}.source`, `${file}\n`, { mode: 0o600, dirMode: 0o700 });
  await writeFileAtomically(backup, content, { mode: 0o600, dirMode: 0o700 }); // last: its presence means done
  return backup;
}
