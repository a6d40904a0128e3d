/** `reconcile`: make it so. Exit 0 when everything ended in sync, 1 when an action or check failed. */
import { defineCommand } from '../command.js';
import { ExitCode } from '../exit-codes.js';
import { writeJson, writeLine } from '../io.js';
import { booleanFlag } from '../flags.js';
import { FLEET_FLAGS, json, lockWait, worktree } from '../shared-flags.js';

export default defineCommand({
  summary: 'make every managed worktree hold exactly one leased identity and a current env file',
  description:
    'Makes it so: every managed worktree leases an identity (an idle one from the pool, else a new one), each env file is ' +
    'written, and the lease of a worktree that is gone ends once its grace period passes (the identity returns to the pool). ' +
    'Safe to re-run. With --worktree (what a setup script runs) only that worktree. A repo another state dir manages is ' +
    'refused unless --take-over. Exit 0 when everything ended in sync, 1 when an action or check failed.',
  flags: {
    ...FLEET_FLAGS,
    worktree: { ...worktree, help: 'only the worktree containing PATH: leases its identity and writes its files' },
    json,
    'lock-wait': lockWait(120),
    'take-over': booleanFlag({ help: 'manage repos another state dir claimed (that state dir stops managing them)' }),
  },
  finishesWhenStdoutCloses: true,
  examples: ['reconcile', 'reconcile --worktree "$PWD"'],
  async run(input) {
    // The API's listings are asked for as soon as the config names the provider (prefetch-listings.ts says when
    // the pass may use them); the engine's modules load once the requests have left, while the answers are on
    // their way: loading is CPU work that would only delay them. A setup script's `--worktree` nearly always has
    // work: the apply steps too.
    const context = await import('../context.js').then(async ({ createCommandContext }) => {
      const [created, { prefetchListings }] = await Promise.all([createCommandContext(input), import('../prefetch-listings.js')]);
      const early = prefetchListings(created.provider, created.config, { logger: created.logger });
      await early.sent;
      return { ...created, provider: early.provider };
    });
    const [{ runPass }, { countChanges }, { formatResults }] = await Promise.all([
      import('../../reconcile/engine.js'),
      import('../../reconcile/actions.js'),
      import('../format/plan-text.js'),
      context.worktree === null ? null : import('../../reconcile/apply.js'),
    ]);
    const { io, flags } = input;
    const report = await runPass({ config: context.config, provider: context.provider, logger: context.logger, mode: 'apply', worktree: context.worktree, lockWaitMs: flags.lockWait, takeOver: flags.takeOver });
    const failures = report.results.filter((r) => r.status === 'failed');
    const ok = failures.length === 0 && report.plan.problems.length === 0;
    if (flags.json) {
      writeJson(io.stdout, {
        ok,
        durationMs: Math.round(report.durationMs),
        summary: { ...countChanges(report.results.filter((r) => r.status === 'done').map((r) => r.action)), failed: failures.length + report.plan.problems.length },
        results: report.results.map((r) => ({ ...r.action, status: r.status, error: r.error?.message ?? null })),
        problems: report.plan.problems,
        notes: report.plan.notes,
      });
    } else {
      if (context.worktree !== null && report.focus !== null && !report.focus.managed) {
        writeLine(io.stdout, `${context.worktree} is not managed: ${report.focus.unmanagedReason ?? 'unknown reason'}.`);
      }
      for (const line of formatResults(report.plan, report.results, report.durationMs)) writeLine(io.stdout, line);
    }
    return ok ? ExitCode.OK : ExitCode.FAILURE;
  },
});
