#!/usr/bin/env node
// Issue 16, "Scale": the cost of one event at N worktrees, with the local provider.
//
//   node bench/scale-reaction.mjs --sizes 10,2000 --trials 15        # daemon: git worktree add -> complete .env
//   node bench/scale-reaction.mjs --sizes 500 --noop 7                 # + in-process no-op passes (median)
//   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/scale-reaction.mjs --sizes 500 --noop 5 --trials 0
//
// Fixtures (a repo with N worktrees, provisioned once by a one-shot reconcile) are kept under --fixtures
// (default $TMPDIR/ravi-scale-fixtures) so before/after runs share them; --fresh rebuilds them.
// Uses dist/ (run `npm run build` first).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { CLI, ROOT, GIT_ENV, createRepoWithWorktrees, git, runOk, sleep, summarize, track, waitFor } from './lib.mjs';

const { values: flags } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10,2000' },
    trials: { type: 'string', default: '15' },
    noop: { type: 'string', default: '0' },
    fixtures: { type: 'string', default: join(tmpdir(), 'ravi-scale-fixtures') },
    fresh: { type: 'boolean', default: false },
    'noop-modes': { type: 'string', default: 'fresh,kept' },
    cli: { type: 'string', default: CLI }, // another build's CLI, to compare side by side (the daemon only)
    'daemon-node-args': { type: 'string' }, // node flags for the daemon only, space-separated: "--daemon-node-args=--cpu-prof --cpu-prof-dir=/tmp/prof"
    'daemon-args': { type: 'string' }, // daemon flags, space-separated: "--daemon-args=--log-level debug" (its log: <fixture>/state/logs)
  },
});
const sizes = flags.sizes.split(',').map(Number);
const trials = Number(flags.trials);
const noopRuns = Number(flags.noop);
const log = (line) => process.stderr.write(`[scale] ${line}\n`);

function envComplete(text) {
  return text.includes('# <<< ravi-orchestrator <<<') && /^AGENT_EMAIL=.+$/m.test(text) && /^AGENT_PHONE=.+$/m.test(text);
}

function orchestratorEnv(fx) {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: fx.root, RAVI_ORCHESTRATOR_STATE_DIR: fx.stateDir, ...GIT_ENV };
}

/** A repo with `n` provisioned worktrees (local provider), built once and reused. */
async function fixture(n) {
  const root = join(flags.fixtures, `n${n}`);
  const fx = { root, repo: join(root, 'app'), stateDir: join(root, 'state'), configFile: join(root, 'ravi-orchestrator.config.json') };
  if (!flags.fresh && existsSync(join(root, 'ready'))) return fx;
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  log(`n=${n}: creating ${n} worktrees`);
  await createRepoWithWorktrees(root, n);
  await writeFile(fx.configFile, `${JSON.stringify({ repos: [fx.repo], provider: { kind: 'local' }, orphans: { grace: 0 } }, null, 2)}\n`);
  log(`n=${n}: provisioning with a one-shot reconcile`);
  const started = performance.now();
  await runOk(process.execPath, [CLI, 'reconcile', '-c', fx.configFile], { cwd: fx.repo, env: orchestratorEnv(fx), timeoutMs: 1_800_000 });
  log(`n=${n}: cold reconcile ${((performance.now() - started) / 1000).toFixed(1)} s`);
  await writeFile(join(root, 'ready'), '');
  return fx;
}

/**
 * In-process no-op passes (apply mode: lock, ledger, observe, plan, nothing to do): `fresh` builds everything each
 * time like a one-shot CLI run; `kept` reuses one provider and the daemon's PassMemory (when this build has it).
 */
async function noopPasses(fx, runs) {
  const dist = (p) => import(pathToFileURL(join(ROOT, 'dist', p)).href);
  const [{ loadConfig }, { createProvider }, { runPass }, { createLogger }] = await Promise.all([
    dist('config/load.js'), dist('providers/create-provider.js'), dist('reconcile/engine.js'), dist('util/logger.js'),
  ]);
  process.env.RAVI_ORCHESTRATOR_STATE_DIR = fx.stateDir;
  const config = await loadConfig({ configFile: fx.configFile, cwd: fx.repo, defaultRepo: fx.repo, overrides: { stateDir: fx.stateDir } });
  const logger = createLogger('silent');
  const memoryModule = await dist('reconcile/pass-memory.js').catch(() => null);
  const keptProvider = createProvider(config);
  const memory = memoryModule === null ? undefined : new memoryModule.PassMemory();
  const fresh = [];
  const kept = [];
  for (let i = 0; i < runs; i++) {
    const modes = flags['noop-modes'].split(',');
    for (const [times, provider, mem] of [[fresh, createProvider(config), undefined], [kept, keptProvider, memory]].filter((_, j) => modes.includes(['fresh', 'kept'][j]))) {
      const started = performance.now();
      const report = await runPass({ config, provider, logger, mode: 'apply', memory: mem });
      times.push(performance.now() - started);
      if (report.plan.actions.length > 0) log(`warning: no-op pass planned ${report.plan.actions.length} actions`);
    }
  }
  return { fresh: summarize(fresh), kept: summarize(kept) };
}

async function daemonReaction(fx, n) {
  let output = '';
  const child = track(spawn(process.execPath, [...(flags['daemon-node-args']?.split(' ') ?? []), flags.cli, 'daemon', '-c', fx.configFile, ...(flags['daemon-args']?.split(' ') ?? [])], { cwd: fx.repo, env: orchestratorEnv(fx), stdio: ['ignore', 'pipe', 'pipe'] }));
  child.stdout.on('data', (c) => (output = (output + c).slice(-8000)));
  child.stderr.on('data', (c) => (output = (output + c).slice(-8000)));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const idle = () => waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`the daemon exited:\n${output}`);
    try {
      const status = JSON.parse(await readFile(join(fx.stateDir, 'daemon-status.json'), 'utf8'));
      return status.pid === child.pid && status.state === 'running' && status.queue.queued.length === 0 && status.queue.running.length === 0;
    } catch {
      return false;
    }
  }, 'the daemon to be idle', { timeoutMs: 600_000, everyMs: 20 });
  const add = [];
  try {
    await idle();
    await sleep(500);
    await idle();
    for (let i = 1; i <= trials; i++) {
      const name = `scale-${process.pid}-${i}`;
      const path = join(fx.root, 'app-worktrees', name);
      await git(fx.repo, 'worktree', 'add', '--quiet', '-b', name, path, 'HEAD');
      const started = performance.now();
      await waitFor(async () => envComplete(await readFile(join(path, '.env'), 'utf8').catch(() => '')), `${path}/.env`, { timeoutMs: 120_000, everyMs: 2 });
      add.push(performance.now() - started);
      await idle();
      await git(fx.repo, 'worktree', 'remove', '--force', path);
      await git(fx.repo, 'branch', '-D', '--quiet', name);
      await sleep(300);
      await idle();
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  const s = summarize(add);
  log(`n=${n}: worktree add -> complete .env p50 ${s.p50.toFixed(0)} ms p95 ${s.p95.toFixed(0)} ms (${trials} trials)`);
  return s;
}

const results = { date: new Date().toISOString(), commit: await runOk('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).then((r) => r.stdout.trim(), () => 'unknown'), sizes: {} };
for (const n of sizes) {
  const fx = await fixture(n);
  const out = {};
  if (noopRuns > 0) {
    out.noopPass = await noopPasses(fx, noopRuns);
    log(`n=${n}: in-process no-op pass p50 fresh ${out.noopPass.fresh.p50?.toFixed(1)} ms, kept ${out.noopPass.kept.p50?.toFixed(1)} ms`);
  }
  if (trials > 0) out.reaction = await daemonReaction(fx, n);
  results.sizes[n] = out;
}
const [a, b] = [results.sizes[sizes[0]]?.reaction, results.sizes[sizes.at(-1)]?.reaction];
if (a && b && sizes.length > 1) {
  results.ratio = b.p50 / a.p50;
  log(`reaction p50 at n=${sizes.at(-1)} / n=${sizes[0]}: ${results.ratio.toFixed(2)}x (goal <= 1.5x)`);
}
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
