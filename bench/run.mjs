#!/usr/bin/env node
// `npm run bench` (issue 7): ravi-orchestrator against the append-only setup.sh approach and against the floor,
// on this machine, with the tests' fake Ravi server at a realistic latency. Not part of `npm test`.
// Writes bench/RESULTS.md (tables) and bench/results.json (every raw figure). See bench/README.md.
//
//   npm run bench                        # full run: N = 10, 100, 500 (the setup.sh baseline runs once at N > 100)
//   npm run bench -- --quick             # N = 10, 50, 20 reaction trials, 20 idle seconds
//   npm run bench -- --sizes 10,200 --latency 40 --runs 5 --trials 50 --idle-seconds 60 --only cold,steady
import { parseArgs } from 'node:util';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import {
  BENCH_DIR, CLI, FAKE_CLI, ROOT, GIT_ENV, SETUP_SH, changedFiles, cleanupAll, createRepoWithWorktrees, git, gitEnv, listFiles,
  makeTempDir, procCpu, procFds, procMemory, removeTempDir, resetWorktrees, run, runOk, sleep, snapshotFiles, startFakeRavi,
  sleepUnref, summarize, track, waitFor,
} from './lib.mjs';

// ---------------------------------------------------------------------------------------------------------
// Options

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    sizes: { type: 'string' },
    latency: { type: 'string', default: '80' },
    runs: { type: 'string', default: '3' },
    'steady-runs': { type: 'string' },
    'baseline-single-run-above': { type: 'string', default: '50' },
    'baseline-max': { type: 'string', default: '100' },
    'fast-path-max': { type: 'string', default: '10' },
    trials: { type: 'string' },
    'reaction-worktrees': { type: 'string', default: '10' },
    'idle-seconds': { type: 'string' },
    'footprint-worktrees': { type: 'string', default: '100' },
    'footprint-runs': { type: 'string' },
    only: { type: 'string', default: 'cold,steady,reaction,footprint' },
    out: { type: 'string', default: BENCH_DIR },
    'report-only': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});

if (flags.help) {
  process.stdout.write(`usage: npm run bench -- [options]
  --quick                         N = 10,50; 20 reaction trials; 20 idle seconds (explicit flags still win)
  --sizes 10,100,500              worktree counts for cold provisioning and steady state
  --latency 80                    fake Ravi latency per call, ms
  --runs 3                        runs per figure (median, min-max)
  --steady-runs N                 no-op reconcile runs per size (default: max(runs, 5))
  --baseline-single-run-above 50  setup.sh runs once at larger N (it is slow: ~0.7 s per worktree here)
  --baseline-max 100              setup.sh is not run at larger N; its time is extrapolated (linear) from the
                                  largest N it ran at, and marked so
  --fast-path-max 10              also time a loop of \`reconcile --worktree "$PWD"\` (the Superset setup script's
                                  command), one per worktree, at N up to this
  --trials 50                     reaction trials (worktree add and remove)
  --reaction-worktrees 10         worktrees already present while reaction is measured (a list: 10,100)
  --idle-seconds 60               footprint window
  --footprint-worktrees 100       worktrees watched by the daemon for the footprint
  --footprint-runs N              daemons measured (default: runs)
  --only cold,steady,reaction,footprint
  --out DIR                       where RESULTS.md and results.json go (default: bench/)
  --report-only FILE              rewrite RESULTS.md (in --out) from a results.json, measuring nothing
`);
  process.exit(0);
}

function int(name, value, min = 0) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`--${name} must be an integer >= ${min} (got ${value})\n`);
    process.exit(64);
  }
  return n;
}

const quick = flags.quick;
const opts = {
  quick,
  sizes: (flags.sizes ?? (quick ? '10,50' : '10,100,500')).split(',').map((s) => int('sizes', s.trim(), 1)),
  latencyMs: int('latency', flags.latency),
  runs: int('runs', flags.runs, 1),
  baselineSingleRunAbove: int('baseline-single-run-above', flags['baseline-single-run-above']),
  baselineMax: int('baseline-max', flags['baseline-max']),
  fastPathMax: int('fast-path-max', flags['fast-path-max']),
  trials: int('trials', flags.trials ?? (quick ? 20 : 50), 1),
  reactionWorktrees: flags['reaction-worktrees'].split(',').map((v) => int('reaction-worktrees', v.trim())),
  idleSeconds: int('idle-seconds', flags['idle-seconds'] ?? (quick ? 20 : 60), 1),
  footprintWorktrees: int('footprint-worktrees', flags['footprint-worktrees']),
  only: new Set(flags.only.split(',').map((s) => s.trim())),
  out: flags.out,
};
opts.steadyRuns = int('steady-runs', flags['steady-runs'] ?? Math.max(opts.runs, 5), 1);
opts.footprintRuns = int('footprint-runs', flags['footprint-runs'] ?? opts.runs, 1);
for (const section of opts.only) {
  if (!['cold', 'steady', 'reaction', 'footprint'].includes(section)) {
    process.stderr.write(`--only: unknown section ${section}\n`);
    process.exit(64);
  }
}
if (opts.only.has('steady') && !opts.only.has('cold')) opts.only.add('cold'); // steady state is what cold provisioning leaves

const log = (message) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

// ---------------------------------------------------------------------------------------------------------
// A scenario: a temp folder with a repo, a HOME holding Ravi credentials, a state dir, a config file.

async function createScenario(worktreeCount, label) {
  const root = await makeTempDir(`ravi-bench-${label}-`);
  log(`${label}: creating a repo with ${worktreeCount} worktrees`);
  const fixture = await createRepoWithWorktrees(root, worktreeCount);
  const home = join(root, 'home');
  await mkdir(join(home, '.ravi'), { recursive: true });
  const bin = join(root, 'bin');
  await mkdir(bin);
  // `ravi` on PATH for setup.sh: the fake CLI (one process and one HTTP call per invocation).
  await writeFile(join(bin, 'ravi'), `#!/bin/sh\nexec '${process.execPath}' '${FAKE_CLI}' "$@"\n`);
  await chmod(join(bin, 'ravi'), 0o755);
  return {
    root, home, bin, fixture,
    stateDir: join(root, 'state'),
    configFile: join(root, 'ravi-orchestrator.config.json'),
    credentialsFile: join(home, '.ravi', 'config.json'),
  };
}

/** Points the scenario at a (fresh) fake server: credentials file and orchestrator config. */
async function useServer(sc, server, { secrets = true } = {}) {
  await writeFile(sc.credentialsFile, JSON.stringify({ management_key: server.managementKey }), { mode: 0o600 });
  const config = {
    repos: [sc.fixture.repo],
    provider: { kind: 'ravi', apiUrl: server.url, credentialsFile: sc.credentialsFile, provisionPhone: true },
    env: secrets ? { secrets: ['OPENAI_API_KEY'] } : {},
    ...(secrets ? { secrets: { vault: 'team-vault' } } : {}),
    orphans: { grace: 0 },
  };
  await writeFile(sc.configFile, `${JSON.stringify(config, null, 2)}\n`);
}

function orchestratorEnv(sc) {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: sc.home, RAVI_ORCHESTRATOR_STATE_DIR: sc.stateDir, ...GIT_ENV };
}

function orchestrator(sc, args, { configFile = sc.configFile, ...extra } = {}) {
  return run(process.execPath, [CLI, ...args, '-c', configFile], { cwd: sc.fixture.repo, env: orchestratorEnv(sc), ...extra });
}

/** Every worktree's env file holds the three values (both approaches write these keys). */
async function verifyEnvFiles(sc, { secrets = true } = {}) {
  const wanted = secrets ? ['AGENT_EMAIL', 'AGENT_PHONE', 'OPENAI_API_KEY'] : ['AGENT_EMAIL', 'AGENT_PHONE'];
  for (const worktree of sc.fixture.worktrees) {
    const text = await readFile(join(worktree, '.env'), 'utf8').catch(() => '');
    for (const key of wanted) {
      if (!new RegExp(`^${key}=.+$`, 'm').test(text)) throw new Error(`${worktree}/.env has no ${key} after provisioning:\n${text}`);
    }
  }
}

async function freshStart(sc) {
  await resetWorktrees(sc.fixture);
  await rm(sc.stateDir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------------------
// 1 + 2. Cold provisioning and steady state

async function coldOrchestratorRun(sc) {
  await freshStart(sc);
  const server = await startFakeRavi(opts.latencyMs);
  try {
    await useServer(sc, server);
    const result = await orchestrator(sc, ['reconcile'], { timeoutMs: 1_800_000 });
    if (result.code !== 0) throw new Error(`cold reconcile exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
    await verifyEnvFiles(sc);
    const identities = (await server.identities()).length - 1; // minus the vault
    if (identities !== sc.fixture.worktrees.length) throw new Error(`cold reconcile left ${identities} identities for ${sc.fixture.worktrees.length} worktrees`);
    return { ms: result.ms, calls: await server.stats(), server };
  } catch (error) {
    await server.close();
    throw error;
  }
}

/** The Superset setup script's way: `ravi-orchestrator reconcile --worktree "$PWD"` in each worktree, one after the other. */
async function coldFastPathRun(sc) {
  await freshStart(sc);
  const server = await startFakeRavi(opts.latencyMs);
  try {
    await useServer(sc, server);
    const started = performance.now();
    for (const worktree of sc.fixture.worktrees) {
      const result = await run(process.execPath, [CLI, 'reconcile', '--worktree', worktree, '-c', sc.configFile], { cwd: worktree, env: orchestratorEnv(sc) });
      if (result.code !== 0) throw new Error(`reconcile --worktree ${worktree} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
    }
    const ms = performance.now() - started;
    await verifyEnvFiles(sc);
    return { ms, calls: await server.stats() };
  } finally {
    await server.close();
  }
}

async function coldBaselineRun(sc) {
  await freshStart(sc);
  const server = await startFakeRavi(opts.latencyMs);
  try {
    await useServer(sc, server);
    const list = join(sc.root, 'worktrees.txt');
    await writeFile(list, sc.fixture.worktrees.map((w) => `${w}\n`).join(''));
    // One setup.sh per worktree, one after the other, as a worktree tool runs them.
    const loop = 'while IFS= read -r wt; do (cd "$wt" && bash "$SETUP_SH") || exit 1; done < "$WORKTREE_LIST"';
    const result = await run('bash', ['-c', loop], {
      cwd: sc.root,
      timeoutMs: 3_600_000,
      env: { ...gitEnv({ HOME: sc.home }), PATH: `${sc.bin}:${process.env.PATH}`, RAVI_API_URL: server.url, RAVI_VAULT: server.vaultUuid, SETUP_SH, WORKTREE_LIST: list },
    });
    if (result.code !== 0) throw new Error(`setup.sh loop exited ${result.code}:\n${result.stderr.slice(-2000)}`);
    await verifyEnvFiles(sc);
    return { ms: result.ms, calls: await server.stats() };
  } finally {
    await server.close();
  }
}

/** The floor of a no-op pass, measured directly: `git worktree list --porcelain -z`, reading the N env files, one (paged) identity list. */
async function measureFloor(sc, server) {
  const started = performance.now();
  const headers = { authorization: `Bearer ${server.managementKey}`, accept: 'application/json' };
  const listing = (async () => {
    let next = `${server.url}/api/identities/?limit=200`;
    for (let page = 0; next && page < 100; page++) {
      const response = await fetch(next, { headers });
      if (!response.ok) throw new Error(`floor list: HTTP ${response.status}`);
      next = (await response.json()).next;
    }
  })();
  const local = (async () => {
    await runOk('git', ['-C', sc.fixture.repo, 'worktree', 'list', '--porcelain', '-z'], { env: gitEnv() });
    await Promise.all(sc.fixture.worktrees.map((w) => readFile(join(w, '.env'), 'utf8')));
  })();
  await Promise.all([listing, local]);
  return performance.now() - started;
}

/** Files a no-op must not touch: env files, scoped configs, info/exclude, and the state dir (but its lock). */
async function watchedForWrites(sc) {
  const state = (await listFiles(sc.stateDir)).filter((f) => !f.includes('reconcile.lock'));
  return [...sc.fixture.worktrees.flatMap((w) => [join(w, '.env'), join(w, '.ravi', 'config.json')]), sc.fixture.excludeFile, ...state];
}

/** One no-op reconcile under strace: which processes it starts and which files it opens for writing or renames. */
async function straceNoop(sc, configFile = sc.configFile) {
  const traceFile = join(sc.root, 'strace.txt');
  const result = await run('strace', ['-f', '-qq', '-z', '-s', '4096', '-e', 'trace=execve,openat,rename,renameat,renameat2', '-e', 'signal=none', '-o', traceFile,
    process.execPath, CLI, 'reconcile', '-c', configFile], { cwd: sc.fixture.repo, env: orchestratorEnv(sc) }).catch((error) => ({ code: -1, stderr: `strace: ${error.message}` }));
  if (result.code !== 0) return { error: `strace run exited ${result.code}: ${result.stderr.slice(-500)}` };
  const text = await readFile(traceFile, 'utf8');
  await rm(traceFile, { force: true });
  const processes = {};
  const written = new Set();
  for (const line of text.split('\n')) {
    let m;
    if ((m = /execve\("([^"]+)", \["([^"]*)"(?:, "([^"]*)")?(?:, "([^"]*)")?(?:, "([^"]*)")?/.exec(line))) {
      const program = m[1].split('/').pop();
      // `git -C <dir> <subcommand>`: name the subcommand.
      const name = program === 'git' ? `git ${m[3] === '-C' ? m[5] : m[3]}` : program;
      processes[name] = (processes[name] ?? 0) + 1;
    } else if ((m = /openat\([^,]+, "([^"]+)", ([A-Z_|]+)/.exec(line)) && /O_WRONLY|O_RDWR|O_CREAT/.test(m[2])) {
      if (m[1].startsWith(sc.root)) written.add(m[1]);
    } else if ((m = /rename(?:at2?)?\((?:[^,]+, )?"([^"]+)", (?:[^,]+, )?"([^"]+)"/.exec(line))) {
      if (m[2].startsWith(sc.root)) written.add(m[2]);
    }
  }
  const relative = [...written].map((f) => f.slice(sc.root.length + 1)).filter((f) => !f.includes('reconcile.lock'));
  return { processes, gitProcesses: Object.entries(processes).filter(([k]) => k.startsWith('git')).reduce((a, [, n]) => a + n, 0), filesWritten: relative };
}

async function coldAndSteady(results) {
  // The fake CLI's own startup, to separate process spawns from latency in the setup.sh figures.
  {
    const sc = await createScenario(0, 'spawn');
    try {
      await writeFile(sc.credentialsFile, JSON.stringify({ management_key: 'ravi_mgmt_unused' }));
      const spawnMs = [];
      for (let i = 0; i < 10; i++) spawnMs.push((await runOk(join(sc.bin, 'ravi'), ['noop'], { env: { ...gitEnv({ HOME: sc.home }), RAVI_API_URL: 'http://127.0.0.1:1' } })).ms);
      const cliStartMs = [];
      for (let i = 0; i < 5; i++) cliStartMs.push((await runOk(process.execPath, [CLI, 'version'], { env: orchestratorEnv(sc) })).ms);
      results.spawn = { fakeRaviCliMs: summarize(spawnMs), orchestratorVersionMs: summarize(cliStartMs) };
      log(`a fake ravi CLI process costs ${results.spawn.fakeRaviCliMs.median.toFixed(0)} ms without any call; \`ravi-orchestrator version\` ${results.spawn.orchestratorVersionMs.median.toFixed(0)} ms`);
    } finally {
      await removeTempDir(sc.root);
    }
  }

  for (const n of opts.sizes) {
    const sc = await createScenario(n, `n${n}`);
    let server = null;
    try {
      const cold = { n, orchestrator: { ms: [], calls: [] }, baseline: { ms: [], calls: [], runs: 0, skipped: false } };
      // setup.sh first, then the orchestrator, whose last run's state (and server) the steady-state section uses.
      const baselineRuns = n > opts.baselineMax ? 0 : n > opts.baselineSingleRunAbove ? 1 : opts.runs;
      cold.baseline.skipped = baselineRuns === 0;
      for (let r = 0; r < baselineRuns; r++) {
        log(`cold N=${n}: setup.sh loop, run ${r + 1}/${baselineRuns}`);
        const b = await coldBaselineRun(sc);
        cold.baseline.ms.push(b.ms);
        cold.baseline.calls.push(b.calls);
        log(`  ${(b.ms / 1000).toFixed(2)} s, ${b.calls.total} API calls`);
      }
      if (n <= opts.fastPathMax) {
        cold.fastPath = { ms: [], calls: [] };
        for (let r = 0; r < opts.runs; r++) {
          log(`cold N=${n}: reconcile --worktree in each worktree, run ${r + 1}/${opts.runs}`);
          const f = await coldFastPathRun(sc);
          cold.fastPath.ms.push(f.ms);
          cold.fastPath.calls.push(f.calls);
          log(`  ${(f.ms / 1000).toFixed(2)} s, ${f.calls.total} API calls (${f.calls.mutating} mutating)`);
        }
        cold.fastPath.stats = summarize(cold.fastPath.ms);
      }
      for (let r = 0; r < opts.runs; r++) {
        log(`cold N=${n}: ravi-orchestrator reconcile, run ${r + 1}/${opts.runs}`);
        await server?.close();
        const o = await coldOrchestratorRun(sc);
        server = o.server;
        cold.orchestrator.ms.push(o.ms);
        cold.orchestrator.calls.push(o.calls);
        log(`  ${(o.ms / 1000).toFixed(2)} s, ${o.calls.total} API calls (${o.calls.mutating} mutating)`);
      }
      cold.orchestrator.stats = summarize(cold.orchestrator.ms);
      cold.baseline.stats = summarize(cold.baseline.ms);
      cold.baseline.runs = baselineRuns;
      if (cold.baseline.skipped) {
        // Linear: the loop runs one independent setup.sh per worktree. Per-worktree cost of the largest N that ran.
        const ran = results.cold.filter((c) => !c.baseline.skipped).at(-1);
        if (ran) cold.baseline.extrapolatedMs = (ran.baseline.stats.median / ran.n) * n;
        if (ran) cold.baseline.extrapolatedFrom = ran.n;
      }
      const baselineMs = cold.baseline.skipped ? cold.baseline.extrapolatedMs ?? null : cold.baseline.stats.median;
      cold.ratio = baselineMs === null ? null : baselineMs / cold.orchestrator.stats.median;
      cold.latencyBoundBaselineMs = 4 * n * opts.latencyMs;
      results.cold.push(cold);

      if (!opts.only.has('steady')) continue;
      // 2. Steady state over what the last cold run left.
      const steady = { n, wallMs: [], passMs: [], floorMs: [], calls: [], filesWritten: [] };
      const warm = await orchestrator(sc, ['reconcile', '--json']);
      if (warm.code !== 0) throw new Error(`no-op reconcile exited ${warm.code}: ${warm.stdout}\n${warm.stderr}`);
      for (let r = 0; r < opts.steadyRuns; r++) {
        const watched = await watchedForWrites(sc);
        const before = await snapshotFiles(watched);
        await server.reset();
        const result = await orchestrator(sc, ['reconcile', '--json']);
        if (result.code !== 0) throw new Error(`no-op reconcile exited ${result.code}: ${result.stdout}\n${result.stderr}`);
        const report = JSON.parse(result.stdout);
        const changes = report.summary.create + report.summary.update + report.summary.delete;
        if (changes !== 0) throw new Error(`the no-op reconcile did something: ${JSON.stringify(report.summary)}`);
        steady.calls.push(await server.stats());
        steady.filesWritten.push(changedFiles(before, await snapshotFiles(watched)).map((f) => f.slice(sc.root.length + 1)));
        steady.wallMs.push(result.ms);
        steady.passMs.push(report.durationMs);
        await server.reset();
        steady.floorMs.push(await measureFloor(sc, server));
      }
      steady.wall = summarize(steady.wallMs);
      steady.pass = summarize(steady.passMs);
      steady.floor = summarize(steady.floorMs);
      steady.wallRatio = steady.wall.median / steady.floor.median;
      steady.passRatio = steady.pass.median / steady.floor.median;
      await server.reset();
      steady.strace = await straceNoop(sc);
      steady.straceCalls = await server.stats();
      log(`steady N=${n}: no-op ${steady.wall.median.toFixed(0)} ms (pass ${steady.pass.median.toFixed(0)} ms) vs floor ${steady.floor.median.toFixed(0)} ms; ` +
        `${steady.calls[0].get} GET / ${steady.calls[0].mutating} mutating; ${steady.strace.gitProcesses ?? '?'} git processes; ` +
        `${steady.filesWritten.flat().length} files written`);

      // At the smallest size only: the same no-op with the config as `ravi-orchestrator.config.ts` (the documented
      // default format) instead of JSON, and the API audit without env.secrets (so without the vault).
      if (n === opts.sizes[0]) {
        const tsConfig = join(sc.root, 'ravi-orchestrator.config.ts');
        await writeFile(tsConfig, `export default ${await readFile(sc.configFile, 'utf8')}`);
        const tsWall = [];
        const tsPass = [];
        for (let r = 0; r < opts.steadyRuns; r++) {
          const result = await orchestrator(sc, ['reconcile', '--json'], { configFile: tsConfig });
          if (result.code !== 0) throw new Error(`no-op reconcile with a .ts config exited ${result.code}: ${result.stdout}\n${result.stderr}`);
          tsWall.push(result.ms);
          tsPass.push(JSON.parse(result.stdout).durationMs);
        }
        const tsTrace = await straceNoop(sc, tsConfig);
        steady.tsConfig = { wall: summarize(tsWall), pass: summarize(tsPass), filesWritten: tsTrace.filesWritten, processes: tsTrace.processes };
        log(`steady N=${n}: with a .ts config, no-op ${steady.tsConfig.wall.median.toFixed(0)} ms (pass ${steady.tsConfig.pass.median.toFixed(0)} ms); files written: ${tsTrace.filesWritten?.join(', ') || 'none'}`);
        await rm(tsConfig, { force: true });

        await server.close();
        server = null;
        const plain = await startFakeRavi(opts.latencyMs);
        try {
          await freshStart(sc);
          await useServer(sc, plain, { secrets: false });
          await runOk(process.execPath, [CLI, 'reconcile', '-c', sc.configFile], { cwd: sc.fixture.repo, env: orchestratorEnv(sc) });
          await verifyEnvFiles(sc, { secrets: false });
          await plain.reset();
          await runOk(process.execPath, [CLI, 'reconcile', '-c', sc.configFile], { cwd: sc.fixture.repo, env: orchestratorEnv(sc) });
          steady.withoutSecretsCalls = await plain.stats();
        } finally {
          await plain.close();
        }
      }
      results.steady.push(steady);
    } finally {
      await server?.close();
      await removeTempDir(sc.root);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// The daemon as a child process.

function startDaemon(sc) {
  let output = '';
  const child = track(spawn(process.execPath, [CLI, 'daemon', '-c', sc.configFile], { cwd: sc.fixture.repo, env: orchestratorEnv(sc), stdio: ['ignore', 'pipe', 'pipe'] }));
  const keep = (chunk) => {
    output = (output + chunk).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  return {
    pid: child.pid,
    output: () => output,
    alive: () => child.exitCode === null && child.signalCode === null,
    /** SIGTERM, then SIGKILL after 15 s. Resolves the exit code (or signal). */
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const code = await Promise.race([exited, sleepUnref(15_000).then(() => 'timeout')]);
      if (code !== 'timeout') return code;
      child.kill('SIGKILL');
      return exited;
    },
  };
}

/** The daemon's queue is empty and the API saw no call for `quietMs`. */
async function waitDaemonIdle(sc, server, daemon, { quietMs = 300, timeoutMs = 120_000 } = {}) {
  let lastTotal = -1;
  let quietSince = performance.now();
  await waitFor(async () => {
    if (!daemon.alive()) throw new Error(`the daemon exited:\n${daemon.output()}`);
    const { total } = await server.stats();
    if (total !== lastTotal) {
      lastTotal = total;
      quietSince = performance.now();
      return false;
    }
    let status = null;
    try {
      status = JSON.parse(await readFile(join(sc.stateDir, 'daemon-status.json'), 'utf8'));
    } catch {
      return false;
    }
    const idle = status.state === 'running' && status.queue.queued.length === 0 && status.queue.running.length === 0;
    return idle && performance.now() - quietSince >= quietMs;
  }, 'the daemon to be idle', { timeoutMs, everyMs: 20 });
}

// ---------------------------------------------------------------------------------------------------------
// 3. Reaction

function envComplete(text) {
  return text.includes('# <<< ravi-orchestrator <<<') && /^AGENT_EMAIL=.+$/m.test(text) && /^AGENT_PHONE=.+$/m.test(text) && /^OPENAI_API_KEY=.+$/m.test(text);
}

async function reaction(results) {
  results.reaction = [];
  for (const present of opts.reactionWorktrees) results.reaction.push(await reactionWith(present));
}

async function reactionWith(present) {
  const sc = await createScenario(present, `reaction${present}`);
  const server = await startFakeRavi(opts.latencyMs);
  let daemon = null;
  try {
    await useServer(sc, server);
    daemon = startDaemon(sc);
    await waitFor(async () => (await Promise.all(sc.fixture.worktrees.map((w) => readFile(join(w, '.env'), 'utf8').catch(() => '')))).every(envComplete),
      'the daemon to provision the existing worktrees', { timeoutMs: 120_000 });
    await waitDaemonIdle(sc, server, daemon);
    const addMs = [];
    const removeMs = [];
    const callsPerAdd = [];
    const callsPerRemove = [];
    for (let i = 1; i <= opts.trials; i++) {
      const name = `react-${String(i).padStart(3, '0')}`;
      const path = join(sc.root, 'app-worktrees', name);
      await server.reset();
      await git(sc.fixture.repo, 'worktree', 'add', '--quiet', '-b', name, path, 'HEAD');
      const added = performance.now();
      const envFile = join(path, '.env');
      await waitFor(async () => envComplete(await readFile(envFile, 'utf8').catch(() => '')), `${envFile} to be written`, { timeoutMs: 60_000, everyMs: 2 });
      addMs.push(performance.now() - added);
      const scoped = JSON.parse(await readFile(join(path, '.ravi', 'config.json'), 'utf8'));
      await waitDaemonIdle(sc, server, daemon);
      callsPerAdd.push(await server.stats());

      await server.reset();
      await git(sc.fixture.repo, 'worktree', 'remove', '--force', path);
      const removed = performance.now();
      await waitFor(async () => !(await server.has(scoped.identity_uuid)), `identity ${scoped.identity_uuid} to be deleted`, { timeoutMs: 60_000, everyMs: 2 });
      removeMs.push(performance.now() - removed);
      await waitDaemonIdle(sc, server, daemon);
      callsPerRemove.push(await server.stats());
      await git(sc.fixture.repo, 'branch', '-D', '--quiet', name);
      if (i % 10 === 0) log(`reaction (${present} worktrees present): ${i}/${opts.trials} trials`);
    }
    const exit = await daemon.stop();
    const out = {
      worktreesPresent: present,
      trials: opts.trials,
      add: summarize(addMs),
      remove: summarize(removeMs),
      callsPerAdd: summarize(callsPerAdd.map((c) => c.total)),
      listCallsPerAdd: summarize(callsPerAdd.map((c) => c.byRoute['GET /api/identities/'] ?? 0)),
      callsPerRemove: summarize(callsPerRemove.map((c) => c.total)),
      listCallsPerRemove: summarize(callsPerRemove.map((c) => c.byRoute['GET /api/identities/'] ?? 0)),
      sampleAddCalls: callsPerAdd[0]?.byRoute,
      sampleRemoveCalls: callsPerRemove[0]?.byRoute,
      daemonExit: exit,
    };
    log(`reaction (${present} present): add p50 ${out.add.p50.toFixed(0)} ms p95 ${out.add.p95.toFixed(0)} ms; remove p50 ${out.remove.p50.toFixed(0)} ms p95 ${out.remove.p95.toFixed(0)} ms`);
    return out;
  } catch (error) {
    if (daemon) process.stderr.write(`daemon output:\n${daemon.output().slice(-4000)}\n`);
    throw error;
  } finally {
    await daemon?.stop();
    await server.close();
    await removeTempDir(sc.root);
  }
}

// ---------------------------------------------------------------------------------------------------------
// 4. Footprint

async function footprint(results) {
  const sc = await createScenario(opts.footprintWorktrees, 'footprint');
  const server = await startFakeRavi(opts.latencyMs);
  let daemon = null;
  try {
    await useServer(sc, server);
    log(`footprint: provisioning ${opts.footprintWorktrees} worktrees with a one-shot reconcile`);
    await runOk(process.execPath, [CLI, 'reconcile', '-c', sc.configFile], { cwd: sc.fixture.repo, env: orchestratorEnv(sc), timeoutMs: 600_000 });
    const runsOut = [];
    for (let r = 0; r < opts.footprintRuns; r++) {
      daemon = startDaemon(sc);
      await waitDaemonIdle(sc, server, daemon, { quietMs: 1_000 });
      await sleep(2_000); // let start-up garbage settle
      await server.reset();
      log(`footprint: daemon ${daemon.pid}, run ${r + 1}/${opts.footprintRuns}, ${opts.idleSeconds} idle seconds`);
      const cpuBefore = await procCpu(daemon.pid);
      const rss = [];
      const fdCounts = [];
      const cpuPerSecond = [];
      const started = performance.now();
      let previous = cpuBefore;
      for (let s = 0; s < opts.idleSeconds; s++) {
        const next = started + (s + 1) * 1000;
        await sleep(Math.max(0, next - performance.now()));
        const cpu = await procCpu(daemon.pid);
        cpuPerSecond.push(cpu.utimeMs + cpu.stimeMs - previous.utimeMs - previous.stimeMs);
        previous = cpu;
        rss.push((await procMemory(daemon.pid)).rssMb);
        fdCounts.push((await procFds(daemon.pid)).count);
      }
      const elapsedS = (performance.now() - started) / 1000;
      const cpuAfter = await procCpu(daemon.pid);
      const memory = await procMemory(daemon.pid);
      const fds = await procFds(daemon.pid);
      const calls = await server.stats();
      const cpuMs = cpuAfter.utimeMs + cpuAfter.stimeMs - cpuBefore.utimeMs - cpuBefore.stimeMs;
      const childCpuMs = cpuAfter.cutimeMs + cpuAfter.cstimeMs - cpuBefore.cutimeMs - cpuBefore.cstimeMs;
      const busiest = Math.max(...cpuPerSecond);
      runsOut.push({
        pid: daemon.pid, elapsedS, cpuMs, childCpuMs, cpuPerSecond, busiestSecondMs: busiest, busiestSecondAt: cpuPerSecond.indexOf(busiest) + 1,
        cpuWithoutBusiestMs: cpuPerSecond.reduce((a, b) => a + b, 0) - busiest, secondsWithCpu: cpuPerSecond.filter((v) => v > 0).length,
        rssMb: summarize(rss), rssEndMb: rss.at(-1), hwmMb: memory.hwmMb, fds, fdCounts: summarize(fdCounts), apiCalls: calls.total,
      });
      log(`  CPU ${(cpuMs / 1000).toFixed(2)} s over ${elapsedS.toFixed(0)} s (busiest second ${(busiest / 1000).toFixed(2)} s at ${cpuPerSecond.indexOf(busiest) + 1}), RSS ${memory.rssMb.toFixed(0)} MB, ${fds.count} fds, ${fds.inotifyWatches} inotify watches, ${calls.total} API calls`);
      const exit = await daemon.stop();
      if (exit !== 0) throw new Error(`the daemon exited ${exit} on SIGTERM:\n${daemon.output()}`);
      daemon = null;
    }
    results.footprint = {
      worktrees: opts.footprintWorktrees,
      idleSeconds: opts.idleSeconds,
      runs: runsOut,
      cpuMs: summarize(runsOut.map((r) => r.cpuMs)),
      childCpuMs: summarize(runsOut.map((r) => r.childCpuMs)),
      busiestSecondMs: summarize(runsOut.map((r) => r.busiestSecondMs)),
      cpuWithoutBusiestMs: summarize(runsOut.map((r) => r.cpuWithoutBusiestMs)),
      secondsWithCpu: summarize(runsOut.map((r) => r.secondsWithCpu)),
      rssMb: summarize(runsOut.map((r) => r.rssMb.median)),
      rssEndMb: summarize(runsOut.map((r) => r.rssEndMb)),
      hwmMb: summarize(runsOut.map((r) => r.hwmMb)),
      fds: summarize(runsOut.map((r) => r.fds.count)),
      inotifyWatches: summarize(runsOut.map((r) => r.fds.inotifyWatches)),
      apiCalls: summarize(runsOut.map((r) => r.apiCalls)),
      fdKinds: runsOut.at(-1)?.fds.kinds,
    };
  } catch (error) {
    if (daemon) process.stderr.write(`daemon output:\n${daemon.output().slice(-4000)}\n`);
    throw error;
  } finally {
    await daemon?.stop();
    await server.close();
    await removeTempDir(sc.root);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Report

const s = (ms) => (ms / 1000).toFixed(ms >= 10_000 ? 1 : 2);
const spread = (st, f = s, unit = ' s') => (st.n > 1 ? `${f(st.median)}${unit} (${f(st.min)}–${f(st.max)})` : `${f(st.median)}${unit} (1 run)`);
const msf = (v) => v.toFixed(0);
const x = (v) => (v === null || !Number.isFinite(v) ? '–' : `${v.toFixed(v >= 10 ? 0 : 1)}×`);
const routes = (byRoute) => Object.entries(byRoute ?? {}).map(([k, v]) => `${v} ${k}`).join(', ') || 'none';

/** Plain statements derived from the figures; each one only when the data shows it. */
function observations(results) {
  const o = results.options;
  const out = [];
  const cold = results.cold.filter((c) => c.ratio !== null);
  if (cold.length > 0) {
    const first = cold[0];
    const last = cold.at(-1);
    const per = (c) => `${msf(c.orchestrator.stats.median / c.n)} ms`;
    const basePer = (c) => `${msf((c.baseline.skipped ? c.baseline.extrapolatedMs : c.baseline.stats.median) / c.n)} ms`;
    const bound = (2 * last.n / 4) * o.latencyMs;
    out.push(`**Cold:** one \`reconcile\` is ${x(first.ratio)} (N = ${first.n}) to ${last.baseline.skipped ? '≈ ' : ''}${x(last.ratio)} (N = ${last.n}) faster than the setup.sh loop: ${per(first)} per worktree at N = ${first.n} and ${per(last)} at N = ${last.n}, against ${basePer(first)} and ${basePer(last)}. Its provider calls run 4 at a time where setup.sh makes 4 sequential calls per worktree, each in a new process. At N = ${last.n} it takes ${s(last.orchestrator.stats.median)} s, ${(last.orchestrator.stats.median / bound).toFixed(1)}× the time its ${2 * last.n} mutating calls need at 4 in flight (${s(bound)} s).`);
    const fast = results.cold.find((c) => c.fastPath && !c.baseline.skipped);
    if (fast) {
      out.push(`**The per-worktree path is not faster than setup.sh:** \`reconcile --worktree\` costs ${msf(fast.fastPath.stats.median / fast.n)} ms per worktree against setup.sh's ${msf(fast.baseline.stats.median / fast.n)} ms (N = ${fast.n}); it makes fewer calls, but each run pays the CLI's fixed cost (below) and waits for its calls one after the other.`);
    }
  }
  const steady = results.steady;
  if (steady.length > 0) {
    const first = steady[0];
    const last = steady.at(-1);
    const perWorktree = steady.every((st) => st.strace.processes?.['git check-ignore'] === st.n);
    const quiet = steady.every((st) => st.calls.every((c) => c.mutating === 0) && st.filesWritten.flat().length === 0 && (st.strace.filesWritten ?? []).length === 0);
    out.push(`**Steady state:** ${quiet ? 'no mutating call and no file written at any N' : 'a no-op made mutating calls or wrote files (see the table)'}. pass ÷ floor goes from ${x(first.passRatio)} (N = ${first.n}) to ${x(last.passRatio)} (N = ${last.n})${last.passRatio > first.passRatio * 1.5 ? ', so it is not flat' : ''}.` +
      (steady.length > 1 ? ` The pass grows by ${((last.pass.median - first.pass.median) / (last.n - first.n)).toFixed(1)} ms per worktree, the floor by ${((last.floor.median - first.floor.median) / (last.n - first.n)).toFixed(2)} ms.` : '') +
      (perWorktree ? ` Every pass starts one \`git check-ignore\` per worktree (${first.n} of ${first.strace.gitProcesses} git processes at N = ${first.n}, ${last.n} of ${last.strace.gitProcesses} at N = ${last.n}): \`observeWorktree\` in src/reconcile/observe.ts calls \`checkIgnored\` (src/git/ignore.ts) for each managed worktree, whether or not anything will be written.` : ''));
    const twice = steady.filter((st) => (st.calls.at(-1).byRoute['GET /api/identities/'] ?? 0) >= 2 * Math.ceil((st.n + 1) / 200));
    if (twice.length > 0 && first.withoutSecretsCalls) {
      out.push(`**The identity list is fetched twice per pass when a vault is configured** (GET /api/identities/ per no-op: ${twice.map((st) => `${st.calls.at(-1).byRoute['GET /api/identities/']} at N = ${st.n}`).join(', ')}, a list being ⌈(N + 1) / 200⌉ pages; without \`env.secrets\`: ${first.withoutSecretsCalls.byRoute['GET /api/identities/'] ?? 0} at N = ${first.n}): \`observe()\` lists the identities, and \`listVaultSecrets\` in src/providers/ravi/ravi-provider.ts lists them again to find the vault's uuid by name before it lists the secrets, so every pass waits for two round trips in a row (≈ ${2 * o.latencyMs} ms) where one would do.`);
    }
    const fixed = steady.map((st) => st.wall.median - st.pass.median);
    if (results.spawn) {
      out.push(`**Fixed cost of a CLI run:** wall − pass is ${fixed.map(msf).join(', ')} ms at N = ${steady.map((st) => st.n).join(', ')}; \`ravi-orchestrator version\` alone takes ${msf(results.spawn.orchestratorVersionMs.median)} ms where a bare Node script (the fake \`ravi\`) starts in ${msf(results.spawn.fakeRaviCliMs.median)} ms. Every \`reconcile --worktree\`, \`otp\` or \`env\` pays it.`);
    }
    const ts = steady.find((st) => st.tsConfig);
    if (ts) {
      const written = ts.tsConfig.filesWritten ?? null;
      const files = written === null ? 'files written next to it: unknown' : written.length === 0 ? 'writes no file next to it' : `writes ${written.length} file(s) next to it (${written.map(anonymize).join(', ')})`;
      out.push(`**A \`.ts\` config instead of JSON:** ${msf(ts.tsConfig.wall.median)} against ${msf(ts.wall.median)} ms per CLI run at N = ${ts.n} (a difference of ${msf(ts.tsConfig.wall.median - ts.wall.median)} ms), and it ${files}.`);
    }
  }
  for (const r of results.reaction ?? []) {
    // With a vault, every pass lists the secrets exactly once: that count is the number of passes.
    const passes = r.sampleAddCalls?.['GET /api/secrets/'] ?? 0;
    if (passes >= 2) {
      out.push(`**Reaction (${r.worktreesPresent} worktrees present):** each add or remove costs ${r.listCallsPerAdd.median} identity list calls and ${passes} full passes of the repo (one GET /api/secrets/ each), each re-observing every worktree: the daemon queues the repo again when a pass changed its set of watched files (\`#reconcile\` in src/daemon/daemon.ts), which adding or removing a worktree always does.`);
      break;
    }
  }
  if ((results.reaction ?? []).length > 1) {
    const [a, b] = [results.reaction[0], results.reaction.at(-1)];
    out.push(`With ${b.worktreesPresent} worktrees present instead of ${a.worktreesPresent}, add p50 goes from ${msf(a.add.p50)} to ${msf(b.add.p50)} ms (p95 ${msf(a.add.p95)} → ${msf(b.add.p95)} ms) and remove p50 from ${msf(a.remove.p50)} to ${msf(b.remove.p50)} ms: a pass for one new worktree costs in proportion to all of them.`);
  }
  const f = results.footprint;
  if (f) {
    const run0 = f.runs[0];
    const at = run0.busiestSecondAt - 1;
    const before = run0.rssMb.values[Math.max(0, at - 1)];
    const after = run0.rssMb.values[at];
    const drop = before - after > 20 ? ` (RSS drops from ${before.toFixed(0)} to ${after.toFixed(0)} MB in that second: the garbage collector shrinking the heap left by the start-up passes)` : '';
    out.push(`**Idle:** ${(f.cpuMs.median / 1000).toFixed(2)} s of CPU over ${f.idleSeconds} s with ${f.worktrees} worktrees, ${(f.busiestSecondMs.median / 1000).toFixed(2)} s of it in one second${drop}, ${(f.cpuWithoutBusiestMs.median / 1000).toFixed(2)} s in all the others; no API call; ${f.fds.median} fds; ${f.inotifyWatches.median} inotify watches (${(f.inotifyWatches.median / f.worktrees).toFixed(1)} per worktree).`);
  }
  return out;
}

/** Temp names carry a uuid: show their shape. */
function anonymize(path) {
  return path.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>');
}

function markdown(results) {
  const opts = results.options;
  const m = results.meta;
  const lines = [];
  lines.push('# ravi-orchestrator benchmarks', '');
  lines.push(`Generated by \`npm run bench${m.argv.length ? ` -- ${m.argv.join(' ')}` : ''}\` (bench/run.mjs) on ${m.date}, in ${Math.round(m.totalSeconds / 6) / 10} min; raw figures in \`bench/results.json\`.`, '');
  if (m.commit) lines.push(`Code measured: \`dist/\` as \`npm run bench\` built it from commit ${m.commit}${m.dirtySrc?.length ? ` plus uncommitted changes to ${m.dirtySrc.join(', ')}` : ' (src/ clean)'}.`, '');
  lines.push(`Machine: ${m.os}, ${m.cpu} × ${m.cores} cores, ${m.memoryGb} GB RAM, Node ${m.node}, ${m.git}; load average ${m.loadBefore.map((l) => l.toFixed(2)).join(' ')} at start, ${m.loadAfter.map((l) => l.toFixed(2)).join(' ')} at the end (other work shared the machine).`, '');
  lines.push(`Fake Ravi API (test/support/fake-ravi-server.ts, its own process, loopback) at **${opts.latencyMs} ms per call**. Each figure is the median of its runs with the spread (min–max) in parentheses; the run count is given where it differs.`, '');

  if (results.cold.length > 0) {
    lines.push('## 1. Cold provisioning', '');
    lines.push('`ravi-orchestrator reconcile` (built CLI, ravi provider, default `concurrency: 4`) against a bash loop running `bench/setup.sh` in each worktree, one after the other; setup.sh calls `ravi` (bench/fake-ravi-cli.mjs: one process and one HTTP call each) once per field: `identity create`, `get email`, `get phone`, `secrets get`, and appends to `.env`. Both end with AGENT_EMAIL, AGENT_PHONE and OPENAI_API_KEY in every `.env`; the orchestrator also mints an identity-scoped key per worktree and writes `.ravi/config.json`, the ledger and `info/exclude`.', '');
    lines.push('| N | ravi-orchestrator reconcile | setup.sh loop | setup.sh ÷ orchestrator | API calls: orchestrator | API calls: setup.sh | setup.sh latency alone (4 × N × latency) |');
    lines.push('| ---: | ---: | ---: | ---: | --- | --- | ---: |');
    for (const c of results.cold) {
      const oc = c.orchestrator.calls.at(-1);
      const bc = c.baseline.calls.at(-1);
      const baseline = !c.baseline.skipped ? spread(c.baseline.stats)
        : c.baseline.extrapolatedMs !== undefined ? `≈ ${s(c.baseline.extrapolatedMs)} s (not run: extrapolated from N = ${c.baseline.extrapolatedFrom})` : 'not run';
      lines.push(`| ${c.n} | ${spread(c.orchestrator.stats)} | ${baseline} | ${c.baseline.skipped && c.ratio !== null ? '≈ ' : ''}${x(c.ratio)} | ${oc.total} (${oc.get} GET, ${oc.mutating} mutating) | ${bc ? `${bc.total} (${bc.get} GET, ${bc.mutating} mutating)` : '–'} | ${s(c.latencyBoundBaselineMs)} s |`);
    }
    lines.push('');
    const single = results.cold.filter((c) => c.baseline.runs === 1 && opts.runs > 1).map((c) => c.n);
    if (single.length > 0) lines.push(`The setup.sh loop ran once at N = ${single.join(', ')} (\`--baseline-single-run-above ${opts.baselineSingleRunAbove}\`).`, '');
    const skipped = results.cold.filter((c) => c.baseline.skipped).map((c) => c.n);
    if (skipped.length > 0) lines.push(`It did not run at N = ${skipped.join(', ')} (above \`--baseline-max ${opts.baselineMax}\`, to keep the default run near 10 minutes); the figure there is its per-worktree time at the largest N it ran at × N, which holds for a loop of independent scripts run one after the other.`, '');
    const fast = results.cold.filter((c) => c.fastPath);
    if (fast.length > 0) {
      lines.push('The Superset way, `ravi-orchestrator reconcile --worktree "$PWD"` run in each worktree one after the other (what `init --superset` puts in setup.sh), provisions one worktree per process:', '');
      lines.push('| N | loop of `reconcile --worktree` | per worktree | API calls | ÷ one `reconcile` | setup.sh loop ÷ this |', '| ---: | ---: | ---: | --- | ---: | ---: |');
      for (const c of fast) {
        const calls = c.fastPath.calls.at(-1);
        lines.push(`| ${c.n} | ${spread(c.fastPath.stats)} | ${msf(c.fastPath.stats.median / c.n)} ms | ${calls.total} (${calls.get} GET, ${calls.mutating} mutating) | ${x(c.fastPath.stats.median / c.orchestrator.stats.median)} | ${c.baseline.skipped ? '–' : x(c.baseline.stats.median / c.fastPath.stats.median)} |`);
      }
      lines.push('');
    }
    if (results.spawn) {
      lines.push(`A \`ravi\` process of the fake CLI costs ${msf(results.spawn.fakeRaviCliMs.median)} ms (${msf(results.spawn.fakeRaviCliMs.min)}–${msf(results.spawn.fakeRaviCliMs.max)}) before any call (Node startup; the real Go CLI starts faster), so setup.sh pays about 4 × N × (latency + ${msf(results.spawn.fakeRaviCliMs.median)} ms); its calls are sequential, the orchestrator's run ${'4'} at a time. \`ravi-orchestrator version\` (Node startup + CLI load) takes ${msf(results.spawn.orchestratorVersionMs.median)} ms.`, '');
    }
  }

  if (results.steady.length > 0) {
    lines.push('## 2. Steady state (no-op reconcile)', '');
    lines.push('A second `reconcile` over the provisioned worktrees: nothing to do. **Floor**, measured directly in the benchmark process: `git worktree list --porcelain -z`, reading the N env files and one identity list (paged: 200 per page), the list concurrently with the rest. *Wall* is the CLI process from spawn to exit (includes Node startup and config load); *pass* is the `durationMs` the CLI reports (`--json`). Calls, processes and writes are per no-op run; processes and file writes come from one run under `strace -f`, "files written" from (inode, size, mtime) snapshots of every env file, `.ravi/config.json`, `info/exclude` and the state dir (its lock excepted).', '');
    lines.push('| N | no-op wall | no-op pass | floor | wall ÷ floor | pass ÷ floor | API calls (no-op) | git processes | files written |');
    lines.push('| ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |');
    for (const st of results.steady) {
      const calls = st.calls.at(-1);
      const written = new Set(st.filesWritten.flat().concat(st.strace.filesWritten ?? []));
      const git = st.strace.processes ? Object.entries(st.strace.processes).filter(([k]) => k.startsWith('git')).map(([k, v]) => `${v} ${k}`).join(', ') : st.strace.error;
      lines.push(`| ${st.n} | ${spread(st.wall, msf, ' ms')} | ${spread(st.pass, msf, ' ms')} | ${spread(st.floor, msf, ' ms')} | ${x(st.wallRatio)} | ${x(st.passRatio)} | ${calls.get} GET + ${calls.mutating} mutating: ${routes(calls.byRoute)} | ${st.strace.gitProcesses ?? '?'} (${git}) | ${written.size}${written.size ? `: ${[...written].slice(0, 3).join(', ')}` : ''} |`);
    }
    lines.push('');
    lines.push(`${opts.steadyRuns} no-op runs and ${opts.steadyRuns} floor measurements per size.`);
    const plain = results.steady.find((st) => st.withoutSecretsCalls);
    if (plain) lines.push(`Without \`env.secrets\` (no vault), a no-op at N = ${plain.n} makes ${plain.withoutSecretsCalls.get} GET + ${plain.withoutSecretsCalls.mutating} mutating: ${routes(plain.withoutSecretsCalls.byRoute)}.`);
    const ts = results.steady.find((st) => st.tsConfig);
    if (ts) {
      const json = ts.wall.median;
      lines.push(`With the same config as \`ravi-orchestrator.config.ts\` instead of JSON, the no-op at N = ${ts.n} takes ${spread(ts.tsConfig.wall, msf, ' ms')} wall (JSON: ${msf(json)} ms; pass ${msf(ts.tsConfig.pass.median)} ms) and writes ${ts.tsConfig.filesWritten?.length ?? '?'} file(s)${ts.tsConfig.filesWritten?.length ? `: ${ts.tsConfig.filesWritten.map(anonymize).join(', ')}` : ''}.`);
    }
    lines.push('');
  }

  if (results.reaction?.length) {
    lines.push('## 3. Reaction (daemon)', '');
    lines.push(`\`ravi-orchestrator daemon\` (ravi provider on the fake server, default 150 ms debounce, \`orphans.grace: 0\`) watching a repo whose other worktrees are already provisioned. *add*: from \`git worktree add\` returning to a complete \`.env\` on disk (polled every 2 ms); *remove*: from \`git worktree remove --force\` returning to the identity's deletion on the server (polled every 2 ms). The daemon is let go idle between steps. ${opts.trials} trials each; API calls are counted from the event until the daemon is idle again.`, '');
    lines.push('| worktrees present | event | p50 | p95 | min–max | API calls per event (median) | identity list calls per event (median) |');
    lines.push('| ---: | --- | ---: | ---: | ---: | ---: | ---: |');
    for (const r of results.reaction) {
      lines.push(`| ${r.worktreesPresent} | worktree add → complete .env | ${msf(r.add.p50)} ms | ${msf(r.add.p95)} ms | ${msf(r.add.min)}–${msf(r.add.max)} ms | ${r.callsPerAdd.median} | ${r.listCallsPerAdd.median} |`);
      lines.push(`| ${r.worktreesPresent} | worktree remove → identity deleted | ${msf(r.remove.p50)} ms | ${msf(r.remove.p95)} ms | ${msf(r.remove.min)}–${msf(r.remove.max)} ms | ${r.callsPerRemove.median} | ${r.listCallsPerRemove.median} |`);
    }
    lines.push('');
    const r = results.reaction[0];
    lines.push(`Calls for one add (${r.worktreesPresent} present): ${routes(r.sampleAddCalls)}. For one remove: ${routes(r.sampleRemoveCalls)}.`, '');
  }

  if (results.footprint) {
    const f = results.footprint;
    lines.push('## 4. Footprint (idle daemon)', '');
    lines.push(`The daemon watching ${f.worktrees} provisioned worktrees, after its start-up passes, over ${f.idleSeconds} idle seconds; ${f.runs.length} daemon(s). CPU is utime+stime from /proc/<pid>/stat (children's in parentheses), RSS sampled every second from /proc/<pid>/status (VmRSS; peak = VmHWM), fds counted in /proc/<pid>/fd, inotify watches from the fdinfo of its inotify fd(s).`, '');
    lines.push('| metric | value |', '| --- | ---: |');
    lines.push(`| CPU over ${f.idleSeconds} idle s | ${spread(f.cpuMs, (v) => (v / 1000).toFixed(2))} (children: ${(f.childCpuMs.median / 1000).toFixed(2)} s) |`);
    lines.push(`| of which the busiest single second | ${spread(f.busiestSecondMs, (v) => (v / 1000).toFixed(2))} (at second ${f.runs.map((r) => r.busiestSecondAt).join(', ')} of the window) |`);
    lines.push(`| CPU in all the other seconds | ${spread(f.cpuWithoutBusiestMs, (v) => (v / 1000).toFixed(2))} |`);
    lines.push(`| seconds with any CPU (of ${f.idleSeconds}; /proc ticks are 10 ms) | ${spread(f.secondsWithCpu, (v) => v.toFixed(0), '')} |`);
    lines.push(`| RSS (median of the per-second samples) | ${spread(f.rssMb, (v) => v.toFixed(0), ' MB')} |`);
    lines.push(`| RSS at the end of the window | ${spread(f.rssEndMb, (v) => v.toFixed(0), ' MB')} |`);
    lines.push(`| peak RSS (VmHWM, includes start-up) | ${spread(f.hwmMb, (v) => v.toFixed(0), ' MB')} |`);
    lines.push(`| open file descriptors | ${spread(f.fds, (v) => v.toFixed(0), '')}: ${Object.entries(f.fdKinds ?? {}).map(([k, v]) => `${v} ${k}`).join(', ')} |`);
    lines.push(`| inotify watches | ${spread(f.inotifyWatches, (v) => v.toFixed(0), '')} |`);
    lines.push(`| API calls while idle | ${spread(f.apiCalls, (v) => v.toFixed(0), '')} |`);
    lines.push('');
  }
  const seen = observations(results);
  if (seen.length > 0) lines.push('## What the numbers say', '', ...seen.map((n) => `- ${n}`), '');
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------------------
// Main

async function machine() {
  const gitVersion = (await runOk('git', ['--version'])).stdout.trim();
  let osName = `${os.type()} ${os.release()}`;
  try {
    const release = await readFile('/etc/os-release', 'utf8');
    const pretty = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(release)?.[1];
    if (pretty) osName = `${pretty} (${os.type()} ${os.release()})`;
  } catch {
    // not Linux
  }
  // What was measured: the commit, and the files of src/ that differed from it when dist/ was built.
  const commit = (await run('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { env: gitEnv() })).stdout.trim() || 'unknown';
  const dirty = (await run('git', ['-C', ROOT, 'status', '--porcelain', '--', 'src'], { env: gitEnv() })).stdout.split('\n').filter(Boolean).map((l) => l.slice(3));
  return {
    date: new Date().toISOString(),
    commit,
    dirtySrc: dirty,
    os: osName,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    git: gitVersion,
    loadBefore: os.loadavg(),
    argv: process.argv.slice(2),
  };
}

async function main() {
  if (process.platform !== 'linux') throw new Error('the benchmark reads /proc: run it on Linux');
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm run bench does)`);
  if (!existsSync(join(BENCH_DIR, '.build', 'fake-ravi-server.js'))) throw new Error('bench/.build/ is missing: run `tsc -p bench/tsconfig.json` (npm run bench does)');
  const started = performance.now();
  const results = { meta: await machine(), options: { ...opts, only: [...opts.only] }, spawn: null, cold: [], steady: [], reaction: null, footprint: null, notes: [] };
  log(`options: ${JSON.stringify(results.options)}`);
  if (opts.only.has('cold')) await coldAndSteady(results);
  if (opts.only.has('reaction')) await reaction(results);
  if (opts.only.has('footprint')) await footprint(results);
  results.meta.loadAfter = os.loadavg();
  results.meta.totalSeconds = Math.round((performance.now() - started) / 1000);
  await mkdir(opts.out, { recursive: true });
  await writeFile(join(opts.out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(opts.out, 'RESULTS.md'), markdown(results));
  log(`done in ${results.meta.totalSeconds} s: ${join(opts.out, 'RESULTS.md')}, ${join(opts.out, 'results.json')}`);
}

let exiting = false;
process.on('uncaughtException', (error) => {
  process.stderr.write(`bench failed: ${error.stack ?? error}\n`);
  if (exiting) return;
  exiting = true;
  void cleanupAll().finally(() => process.exit(1));
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (exiting) return;
    exiting = true;
    log(`${signal}: killing child processes and removing temp folders`);
    void cleanupAll().finally(() => process.exit(130));
  });
}

try {
  if (flags['report-only']) {
    const saved = JSON.parse(await readFile(flags['report-only'], 'utf8'));
    await mkdir(opts.out, { recursive: true });
    await writeFile(join(opts.out, 'RESULTS.md'), markdown(saved));
  } else {
    await main();
  }
} catch (error) {
  process.stderr.write(`bench failed: ${error.stack ?? error}\n`);
  process.exitCode = 1;
} finally {
  await cleanupAll();
}
