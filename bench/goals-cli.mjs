// Issue 16 goals 1-3: the CLI as whole processes. 1: start-up of `version`, `whoami`, `otp` against `node -e 0`;
// 2: a setup script's `reconcile --worktree` on a new worktree (lease and create) against its API floor + 1.5x
// `node -e 0`; 3: a no-op `reconcile` against the shell floor at two sizes. Every comparison is interleaved.
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CLI, GIT_ENV, git, gitEnv, interleaved, removeTempDir, run, runOk, startFakeRavi, summarize } from './lib.mjs';
import { createScenario, log, orchestratorEnv, orchestratorOk, useServer, verifyEnvFiles } from './scenario.mjs';
import { ratioRow, ms, spread } from './report.mjs';

// The baseline gets the environment the CLI runs with (orchestratorEnv: PATH, HOME, git's), never the bench's own:
// an inherited NODE_EXTRA_CA_CERTS (set in some shells) makes Node load a CA bundle at start, +50 ms here, which
// only the baseline paid (2026-12-01: `version`, the same start-up as `node -e 0`, measured 0.66x).
const nodeBare = () => run(process.execPath, ['-e', '0'], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...GIT_ENV } });

export async function startup(opts) {
  const sc = await createScenario(1, 'startup');
  try {
    await useServer(sc, null);
    await orchestratorOk(sc, ['reconcile']);
    const worktree = sc.fixture.worktrees[0];
    const inWorktree = (args) => () => run(process.execPath, [CLI, ...args], { cwd: worktree, env: orchestratorEnv(sc) });
    const otp = inWorktree(['otp']);
    otp.anyExit = true; // an empty inbox exits 1 ("no code yet"): the start-up is what is timed
    log(`start-up: ${opts.startupRuns} interleaved rounds of node -e 0, version, whoami, otp`);
    const t = await interleaved(opts.startupRuns, { node: nodeBare, version: inWorktree(['version']), whoami: inWorktree(['whoami']), otp });
    const base = t.node.median;
    const rows = [
      ratioRow('1', '`version` start-up', t.version.median / base, 1.3, `${ms(t.version.median)} vs ${ms(base)} for node -e 0`),
      ratioRow('1', '`whoami` start-up', t.whoami.median / base, 1.6, `${ms(t.whoami.median)}`),
      ratioRow('1', '`otp` (no wait) start-up', t.otp.median / base, 1.6, `${ms(t.otp.median)}`),
    ];
    return { rows, raw: { runs: opts.startupRuns, ...t } };
  } finally {
    await removeTempDir(sc.root);
  }
}

/** Goal 2: lease path (an idle identity, quarantine 0) and create path (no idle identity), one new worktree each trial. */
export async function setupScript(opts) {
  const sc = await createScenario(1, 'setup-script');
  const server = await startFakeRavi(opts.latencyMs);
  try {
    const raw = {};
    for (const path of ['lease', 'create']) {
      await useServer(sc, server, { quarantine: path === 'lease' ? 0 : '30m' });
      await orchestratorOk(sc, ['reconcile']);
      const trials = { ms: [], node: [], calls: [] };
      // Trial 0 is not timed: it creates the identity the lease trials take back (and warms the disk cache for both).
      for (let i = 0; i <= opts.setupTrials; i++) {
        const worktree = join(sc.root, 'app-worktrees', `${path}-${i}`);
        await git(sc.fixture.repo, 'worktree', 'add', '--quiet', '-b', `${path}-${i}`, worktree, 'HEAD');
        const node = await nodeBare();
        await server.reset();
        const result = await orchestratorOk(sc, ['reconcile', '--worktree', worktree], { cwd: worktree });
        const calls = await server.stats();
        const created = calls.byRoute['POST /api/identities/'] ?? 0;
        if (i > 0) {
          trials.node.push(node.ms);
          trials.ms.push(result.ms);
          trials.calls.push(calls);
        }
        if (i > 0 && (path === 'create') !== (created === 1)) throw new Error(`${path} trial ${i} made ${created} identity creates: ${JSON.stringify(calls.byRoute)}\n${result.stdout}`);
        await verifyEnvFiles([worktree]);
        // The lease path gives the identity back (teardown) so the next trial leases it again.
        if (path === 'lease') await orchestratorOk(sc, ['release', '--worktree', worktree], { cwd: worktree });
      }
      const time = summarize(trials.ms);
      const node = summarize(trials.node);
      const callCount = summarize(trials.calls.map((c) => c.total)).median;
      const floor = callCount * opts.latencyMs + 1.5 * node.median;
      raw[path] = { time, node, callCount, routes: trials.calls[0].byRoute, floorMs: floor };
      log(`setup script (${path}): ${ms(time.median)} vs floor ${ms(floor)} (${callCount} calls x ${opts.latencyMs} ms + 1.5 x ${ms(node.median)})`);
    }
    const row = (path) => ratioRow('2', `setup script \`reconcile --worktree\`, ${path} path`, raw[path].time.median / raw[path].floorMs, 1,
      `${ms(raw[path].time.median)} ${spread(raw[path].time, 'trials')} vs floor ${ms(raw[path].floorMs)} = ${raw[path].callCount} calls × ${opts.latencyMs} ms + 1.5 × ${ms(raw[path].node.median)}`, '≤ 1x (API floor + 1.5x node -e 0)');
    return { rows: [row('lease'), row('create')], raw: { trials: opts.setupTrials, ...raw } };
  } finally {
    await server.close();
    await removeTempDir(sc.root);
  }
}

/** Goal 3: a no-op `reconcile` against `git worktree list` + `cat` of the env files + one `curl` of the identity list. */
export async function noop(opts) {
  const rows = [];
  const raw = [];
  for (const n of opts.noopSizes) {
    const measured = await measureNoop(n, opts, `noop${n}`);
    raw.push(measured);
    rows.push(ratioRow('3', `no-op \`reconcile\`, N = ${n}`, measured.ratio, 3, `${ms(measured.noop.median)} vs shell floor ${ms(measured.floor.median)}`));
  }
  if (raw.length > 1) {
    const [a, b] = [raw[0], raw.at(-1)];
    const flat = b.ratio / a.ratio;
    rows.push(ratioRow('3', `no-op flat: ratio at N = ${b.n} ÷ ratio at N = ${a.n}`, flat, 1.25, 'same ratio (±25%)', '≤ 1.25'));
  }
  return { rows, raw };
}

/**
 * Goal 3 in a repository of a real project's size: the fixture's repo tracks one file, so each worktree's git index
 * (which the ignore proof reads in every pass) is 137 bytes; a project of 20,000 files has a 2.2 MB index.
 */
export async function noopLargeRepo(opts) {
  const { largeRepoWorktrees: n, largeRepoFiles: files } = opts;
  const measured = await measureNoop(n, opts, `noop-large${n}`, { trackedFiles: files });
  const row = ratioRow('3', `no-op \`reconcile\`, N = ${n} worktrees of a repo tracking ${files} files`, measured.ratio, 3,
    `${ms(measured.noop.median)} vs shell floor ${ms(measured.floor.median)}; index ${(measured.indexBytes / 1e6).toFixed(1)} MB a worktree`);
  return { rows: [row], raw: measured };
}

/** One no-op size: provisioned at latency 0, then the no-op and the shell floor interleaved at the configured latency. */
async function measureNoop(n, opts, label, repoOptions) {
  const sc = await createScenario(n, label, repoOptions);
  const server = await startFakeRavi(0);
  try {
    await useServer(sc, server);
    log(`no-op N=${n}: provisioning (API latency 0 for the set-up)`);
    await orchestratorOk(sc, ['reconcile'], { timeoutMs: 1_800_000 });
    await server.setLatency(opts.latencyMs);
    const envFiles = sc.fixture.worktrees.map((w) => join(w, '.env'));
    const floorScript = 'git -C "$REPO" worktree list --porcelain >/dev/null && cat "$@" >/dev/null && curl -sf -H "authorization: Bearer $KEY" "$URL/api/identities/" >/dev/null';
    const shellFloor = () => run('bash', ['-c', floorScript, 'floor', ...envFiles], { env: gitEnv({ REPO: sc.fixture.repo, KEY: server.managementKey, URL: server.url }) });
    const noopRun = () => orchestratorOk(sc, ['reconcile']);
    await noopRun(); // settle: the first pass after a cold one may still tidy up
    await server.reset();
    const t = await interleaved(opts.noopRuns, { floor: shellFloor, noop: noopRun });
    const calls = await server.stats();
    if (calls.mutating !== 0) throw new Error(`the no-op reconcile made mutating calls: ${JSON.stringify(calls.byRoute)}`);
    const ratio = t.noop.median / t.floor.median;
    const indexBytes = (await stat(join(sc.fixture.commonDir, 'worktrees', basename(sc.fixture.worktrees[0]), 'index'))).size;
    log(`no-op N=${n}: ${ms(t.noop.median)} vs shell floor ${ms(t.floor.median)} (${ratio.toFixed(2)}x)`);
    // The floor's curl is one of the recorded calls per round.
    return { n, ...t, ratio, indexBytes, callsPerNoop: calls.total / opts.noopRuns - 1, routes: calls.byRoute };
  } finally {
    await server.close();
    await removeTempDir(sc.root);
  }
}
