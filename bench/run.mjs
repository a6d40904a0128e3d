#!/usr/bin/env node
// `npm run bench`: every goal of issue 16 as a ratio (or a bound) measured side by side in ONE run, on this machine,
// with the tests' fake Ravi server at a realistic latency. Prints "goal | target | measured | MET/MISSED" and writes
// bench/RESULTS.md (date, machine, the table, how each goal is measured) and bench/results.json (every raw figure).
// Not part of `npm test`. See bench/README.md.
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { BENCH_DIR, CLI, ROOT, cleanupAll, gitEnv, run, runOk } from './lib.mjs';
import { log } from './scenario.mjs';
import { goalsText, markdown } from './report.mjs';
import { noop, noopLargeRepo, setupScript, startup } from './goals-cli.mjs';
import { coldAtScale, coldProvisioning } from './goals-cold.mjs';
import { footprint, otpWait, reaction } from './goals-daemon.mjs';

const GOALS = {
  startup: [startup, 'start-up: `version`, `whoami`, `otp` (no wait, in a reconciled worktree, local provider) against `node -e 0`: whole processes of dist/, interleaved rounds, medians.'],
  setup: [setupScript, 'setup script: `reconcile --worktree "$PWD"` in a new worktree (a whole process, ravi provider on the fake API), on the lease path (an idle identity, `pool.quarantine: 0`; each trial ends with `release --worktree`) and the create path (no idle identity); floor = calls the fake server recorded × latency + 1.5 × `node -e 0` timed in the same trial; medians.'],
  noop: [noop, 'no-op `reconcile` (whole process, ravi provider, N provisioned worktrees) against the shell floor `bash -c \'git worktree list --porcelain; cat <N env files>; curl <identity list>\'`, interleaved, medians; the server asserts no mutating call.'],
  'noop-large': [noopLargeRepo, 'no-op `reconcile` as above in a repository of a real project\'s size: the commit tracks `--large-repo-files` files (in the index only; each worktree\'s index filled by `read-tree`, its folder left without them), so each worktree\'s git index, which the ignore proof reads in every pass, is about 2.2 MB at 20,000 files instead of the fixture\'s 137 bytes.'],
  cold: [coldProvisioning, 'cold provisioning: one `reconcile` of N fresh worktrees on a fresh fake server (create path), and one over N new worktrees after N leases ended (lease path, `pool.quarantine: 0`); API floor = the calls the pass made, as the fake server recorded them: (1 + ⌈creates/4⌉ + ⌈keys/4⌉) × latency (the listing and the vault side by side, then the creates, then the keys, 4 at a time; a create whose answer carries the identity\'s key needs no key call), shown beside the issue\'s (1 + ⌈N/4⌉ × 2) × latency for create and (1 + ⌈N/4⌉) × latency for lease; the seed\'s bench/setup.sh (5 `ravi` processes of bench/fake-ravi-cli.mjs, 4 HTTP calls, per worktree) serial and 4-wide (`xargs -P 4`), a collision being a .env whose AGENT_EMAIL is not the inbox of its own RAVI_IDENTITY_UUID.'],
  scale: [coldAtScale, 'cold pass at scale: the local provider, a whole `reconcile --json` process; the verdict uses the pass time it reports (`durationMs`, in-process), the whole process is shown beside it; floor = one 550-byte file per worktree written durably (temp file, fsync, rename, fsync of the folder) by the benchmark, synchronously, measured right before and right after each run (their mean). Then the no-op at the same size: a whole `reconcile` process of the provisioned worktrees against bare Node reading their env files whole (`node -e`), interleaved with it, with `node -e 0` and with `git worktree list --porcelain` (shown for scale: the listing a pass does and this floor leaves out), medians.'],
  reaction: [reaction, 'daemon reaction: from `git worktree add` returning to a complete .env (polled every 2 ms), ravi provider, `pool.quarantine: 0` so a removed worktree\'s identity is leased by the next one; and from `git worktree remove` to the lease\'s end in the audit trail (what `history --json` shows). The scale ratio uses the local provider (no latency), p50 over its trials, both sizes\' daemons running at once and taking turns trial by trial.'],
  footprint: [footprint, 'idle footprint: bench/daemon-footprint.mjs (imported), two daemons measured side by side, each on its own repo: the ravi provider (fake API), and the local provider (the embedded default, which also runs the SMTP and SMS servers); each daemon let settle 30 s after its start-up pass (the V8 memory reducer finishes its one-off GCs about 20 s after start), then RSS (VmRSS each second, median; with its anonymous part, the memory of the process itself, and its file-backed part, above all the pages of the node binary, which every node process shares; beside it the same figures of a bare idle `node -e` started with the daemon), CPU and wakeups (timeslices from /proc/<pid>/task/*/schedstat) over the window.'],
  otp: [otpWait, '`otp --wait`: bench/otp-wait-latency.mjs (imported): local provider, `mail serve`, one worktree per trial, the mail sent at a random moment after the waiter waits; from the SMTP 250 to the first byte of the code on stdout.'],
};

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    latency: { type: 'string', default: '50' },
    runs: { type: 'string' },
    'seed-runs': { type: 'string', default: '1' },
    'startup-runs': { type: 'string' },
    'setup-trials': { type: 'string' },
    'noop-sizes': { type: 'string' },
    'noop-runs': { type: 'string' },
    'large-repo-files': { type: 'string' },
    'large-repo-worktrees': { type: 'string', default: '10' },
    'cold-n': { type: 'string', default: '30' },
    'scale-sizes': { type: 'string' },
    trials: { type: 'string' },
    'reaction-n': { type: 'string', default: '10' },
    'reaction-scale': { type: 'string' },
    'scale-trials': { type: 'string' },
    'footprint-worktrees': { type: 'string', default: '100' },
    'idle-seconds': { type: 'string' },
    'otp-trials': { type: 'string' },
    out: { type: 'string', default: BENCH_DIR },
    'report-only': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});

if (flags.help) {
  process.stdout.write(`usage: npm run bench -- [options]        (default: every goal, about 9 minutes on 2 cores)
  --quick                  fewer runs and trials, smaller scale (about 5 minutes); explicit flags still win
  --only a,b               goals to run: ${Object.keys(GOALS).join(', ')}
  --latency 50             fake Ravi latency per call, ms
  --runs 5                 cold runs per figure (quick: 1)      --seed-runs 1   runs of the setup.sh loops
  --startup-runs 15        interleaved start-up rounds           --setup-trials 9 (quick: 3)
  --noop-sizes 30,500      no-op sizes (quick: 30,200)           --noop-runs 7 (quick: 5)
  --large-repo-files 20000 tracked files of the no-op's large repo (quick: 5000)   --large-repo-worktrees 10
  --cold-n 30              cold provisioning size
  --scale-sizes 100,500    cold pass sizes (quick: 100,300; add 1000 for the big one)
  --trials 30              reaction trials at --reaction-n (quick: 15)
  --reaction-n 10          worktrees present for the reaction
  --reaction-scale 500     the large N of the reaction ratio (2000 for the issue's figure; quick: 200)
  --scale-trials 10        reaction trials per size, local provider (quick: 5)
  --footprint-worktrees 100 --idle-seconds 60 (quick: 20)
  --otp-trials 50          (quick: 20)
  --out DIR                where RESULTS.md and results.json go (default: bench/)
  --report-only FILE       rewrite RESULTS.md (in --out) from a results.json, measuring nothing
`);
  process.exit(0);
}

function int(name, value, min = 1) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`--${name} must be an integer >= ${min} (got ${value})\n`);
    process.exit(64);
  }
  return n;
}
const q = flags.quick;
const list = (name, fallback) => (flags[name] ?? fallback).split(',').map((v) => int(name, v.trim()));
const opts = {
  quick: q,
  latencyMs: int('latency', flags.latency, 0),
  runs: int('runs', flags.runs ?? (q ? 1 : 5)),
  seedRuns: int('seed-runs', flags['seed-runs'], 0),
  startupRuns: int('startup-runs', flags['startup-runs'] ?? 15),
  setupTrials: int('setup-trials', flags['setup-trials'] ?? (q ? 3 : 9)),
  noopSizes: list('noop-sizes', q ? '30,200' : '30,500'),
  noopRuns: int('noop-runs', flags['noop-runs'] ?? (q ? 5 : 7)),
  largeRepoFiles: int('large-repo-files', flags['large-repo-files'] ?? (q ? 5000 : 20000)),
  largeRepoWorktrees: int('large-repo-worktrees', flags['large-repo-worktrees']),
  coldN: int('cold-n', flags['cold-n']),
  scaleSizes: list('scale-sizes', q ? '100,300' : '100,500'),
  trials: int('trials', flags.trials ?? (q ? 15 : 30)),
  reactionN: int('reaction-n', flags['reaction-n']),
  reactionScaleN: int('reaction-scale', flags['reaction-scale'] ?? (q ? 200 : 500)),
  scaleTrials: int('scale-trials', flags['scale-trials'] ?? (q ? 5 : 10)),
  footprintWorktrees: int('footprint-worktrees', flags['footprint-worktrees']),
  idleSeconds: int('idle-seconds', flags['idle-seconds'] ?? (q ? 20 : 60)),
  otpTrials: int('otp-trials', flags['otp-trials'] ?? (q ? 20 : 50)),
  only: (flags.only ?? Object.keys(GOALS).join(',')).split(',').map((s) => s.trim()),
  out: flags.out,
};
for (const goal of opts.only) {
  if (!GOALS[goal]) {
    process.stderr.write(`--only: unknown goal ${goal} (one of ${Object.keys(GOALS).join(', ')})\n`);
    process.exit(64);
  }
}

async function machine() {
  let osName = `${os.type()} ${os.release()}`;
  const pretty = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(await readFile('/etc/os-release', 'utf8').catch(() => ''))?.[1];
  if (pretty) osName = `${pretty} (${os.type()} ${os.release()})`;
  const gitOut = (...args) => run('git', ['-C', ROOT, ...args], { env: gitEnv() }).then((r) => r.stdout);
  return {
    date: new Date().toISOString(),
    commit: (await gitOut('rev-parse', '--short', 'HEAD')).trim() || 'unknown',
    dirtySrc: (await gitOut('status', '--porcelain', '--', 'src')).split('\n').filter(Boolean).map((l) => l.slice(3)),
    os: osName,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    git: (await runOk('git', ['--version'])).stdout.trim(),
    loadBefore: os.loadavg(),
    argv: process.argv.slice(2),
  };
}

async function main() {
  if (process.platform !== 'linux') throw new Error('the benchmark reads /proc: run it on Linux');
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm run bench does)`);
  if (!existsSync(join(BENCH_DIR, '.build', 'fake-ravi-server.js'))) throw new Error('bench/.build/ is missing: run `tsc -p bench/tsconfig.json` (npm run bench does)');
  const started = performance.now();
  const results = { meta: await machine(), options: opts, goals: [], method: [], raw: {}, notes: [] };
  log(`options: ${JSON.stringify(opts)}`);
  for (const name of opts.only) {
    const [measure, method] = GOALS[name];
    const { rows, raw } = await measure(opts);
    results.goals.push(...rows);
    results.method.push(method);
    results.raw[name] = raw;
    if (raw.sideBySide) results.notes.push(raw.sideBySide);
    for (const row of rows) log(`${row.met ? 'MET   ' : 'MISSED'} ${row.goal}. ${row.name.replaceAll('`', '')}: ${row.measured} (target ${row.target})`);
  }
  const reactionRaw = results.raw.reaction;
  if (reactionRaw) {
    const r = reactionRaw.ravi;
    results.notes.push(`worktree remove → lease ended (ravi, N = ${r.n}): p50 ${r.remove.p50.toFixed(0)} ms, p95 ${r.remove.p95.toFixed(0)} ms over ${r.trials} trials (${r.paths.lease} adds leased, ${r.paths.create} created).`);
  }
  results.meta.loadAfter = os.loadavg();
  results.meta.totalSeconds = Math.round((performance.now() - started) / 1000);
  await mkdir(opts.out, { recursive: true });
  await writeFile(join(opts.out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(opts.out, 'RESULTS.md'), markdown(results));
  process.stdout.write(`\nissue 16 goals, ${results.meta.date}, ${results.meta.cores} cores, load ${results.meta.loadBefore.map((l) => l.toFixed(2)).join(' ')}, Node ${results.meta.node}, fake Ravi at ${opts.latencyMs} ms a call\n\n${goalsText(results.goals)}\n\n`);
  const missed = results.goals.filter((r) => r.met === false);
  process.stdout.write(missed.length ? `MISSED ${missed.length} of ${results.goals.length}: ${missed.map((r) => `${r.goal}. ${r.name.replaceAll('`', '')}`).join('; ')}\n` : `all ${results.goals.length} met\n`);
  log(`done in ${results.meta.totalSeconds} s: ${join(opts.out, 'RESULTS.md')}, ${join(opts.out, 'results.json')}`);
}

let exiting = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (exiting) return;
    exiting = true;
    log(`${signal}: killing child processes and removing temp folders`);
    void cleanupAll().finally(() => process.exit(130));
  });
}
process.on('uncaughtException', (error) => {
  process.stderr.write(`bench failed: ${error.stack ?? error}\n`);
  if (exiting) return;
  exiting = true;
  void cleanupAll().finally(() => process.exit(1));
});

try {
  if (flags['report-only']) {
    await mkdir(opts.out, { recursive: true });
    await writeFile(join(opts.out, 'RESULTS.md'), markdown(JSON.parse(await readFile(flags['report-only'], 'utf8'))));
  } else {
    await main();
  }
} catch (error) {
  process.stderr.write(`bench failed: ${error.stack ?? error}\n`);
  process.exitCode = 1;
} finally {
  await cleanupAll();
}
