/** `release [--worktree PATH]`: the teardown step. Ends this worktree's lease now (the identity returns to the pool); exit 0 when done or nothing to do. */
import { releaseWorktree } from '../../reconcile/release.js';
import type { CommandContext } from '../context.js';
import { ExitCode, type ExitCodeValue } from '../exit-codes.js';
import { writeJson, writeLine } from '../io.js';
import { resolveWorktreeRoot } from '../../git/worktrees.js';

export async function releaseCommand(context: CommandContext): Promise<ExitCodeValue> {
  const worktree = context.worktree ?? (await resolveWorktreeRoot(context.io.cwd)).worktreePath;
  const report = await releaseWorktree({ config: context.config, provider: context.provider, logger: context.logger, worktree, lockWaitMs: context.args.lockWaitMs ?? 45_000 });
  if (context.args.json) writeJson(context.io.stdout, { ok: true, ...report });
  else if (report.released === null) writeLine(context.io.stdout, `${worktree}: no identity to release.`);
  else writeLine(context.io.stdout, `Released ${report.released.name} to the pool (${worktree})${report.envCleaned ? '; managed block removed from the env file' : ''}.`);
  return ExitCode.OK;
}
