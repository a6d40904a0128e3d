/** `release [--worktree PATH]`: the teardown step. Ends this worktree's lease now (the identity returns to the pool); exit 0 when done or nothing to do. */
import { defineCommand } from '../command.js';
import { ExitCode } from '../exit-codes.js';
import { writeJson, writeLine } from '../io.js';
import { CONFIG_FLAGS, json, lockWait, worktree } from '../shared-flags.js';

export default defineCommand({
  summary: 'end this worktree\'s lease now (no grace period); the identity returns to the pool',
  description:
    'The teardown step of a worktree IDE: ends this worktree\'s lease at once (the identity returns to the pool, to rest in ' +
    'quarantine before another worktree leases it; nothing is deleted), frees its ports, removes the managed block from its ' +
    'env file, and keeps the daemon from leasing again while the worktree is being removed. Exit 0 when released or when ' +
    'there was nothing to release.',
  flags: { worktree, ...CONFIG_FLAGS, json, 'lock-wait': lockWait(45) },
  finishesWhenStdoutCloses: true,
  examples: ['release --worktree "$PWD"'],
  async run(input) {
    const [{ createCommandContext }, { releaseWorktree }, { resolveWorktreeRoot }] = await Promise.all([
      import('../context.js'),
      import('../../reconcile/release.js'),
      import('../../git/worktrees.js'),
    ]);
    const context = await createCommandContext(input);
    const { io, flags } = input;
    const worktreePath = context.worktree ?? (await resolveWorktreeRoot(io.cwd)).worktreePath;
    const report = await releaseWorktree({ config: context.config, provider: context.provider, logger: context.logger, worktree: worktreePath, lockWaitMs: flags.lockWait });
    if (flags.json) writeJson(io.stdout, { ok: true, ...report });
    else if (report.released === null) writeLine(io.stdout, `${worktreePath}: no identity to release.`);
    else writeLine(io.stdout, `Released ${report.released.name} to the pool (${worktreePath})${report.envCleaned ? '; managed block removed from the env file' : ''}.`);
    return ExitCode.OK;
  },
});
