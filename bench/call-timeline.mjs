// Where a cold pass's time goes: one `reconcile` (create or lease path, N worktrees, or a setup script's
// `reconcile --worktree` in one new worktree) against the fake Ravi process, with the CLI under --cpu-prof.
// Prints every call's start and end (ms since the CLI was spawned), how many calls were in flight, the gaps in
// which fewer than `concurrency` calls ran, and what the CLI's main thread did in those gaps (profile samples
// by function). The fake server and V8's profiler both stamp CLOCK_MONOTONIC on Linux, so the two line up.
//
//   npm run build && tsc -p bench/tsconfig.json && node bench/call-timeline.mjs --mode create --n 30 [--keep DIR]
//   modes: create | lease | setup-create | setup-lease        --latency 50 --concurrency 4 --top 12
//   --detail: the full report of the last run; --runs R --cli A,B: R rounds of each bin (A/B, interleaved), medians;
//   --no-profile: time without --cpu-prof (its sampling costs a little); --interval US: its sampling interval
//   (V8's default is 1000 us: too coarse for a span of a few ms); --node-flags "F ...": node's own flags, to try one.
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { git, removeTempDir, run, startFakeRavi } from './lib.mjs';
import { CLI } from './lib.mjs';
import { createScenario, orchestratorEnv, useServer, verifyEnvFiles } from './scenario.mjs';

const { values: opts } = parseArgs({
  allowNegative: true,
  options: {
    mode: { type: 'string', default: 'create' },
    n: { type: 'string', default: '30' },
    latency: { type: 'string', default: '50' },
    concurrency: { type: 'string', default: '4' },
    top: { type: 'string', default: '12' },
    keep: { type: 'string' },
    cli: { type: 'string' },
    runs: { type: 'string', default: '1' },
    detail: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: true },
    window: { type: 'string' },
    require: { type: 'string' },
    interval: { type: 'string' },
    'node-flags': { type: 'string' },
  },
});
const n = opts.mode.startsWith('setup') ? 1 : Number(opts.n);
const latency = Number(opts.latency);
const concurrency = Number(opts.concurrency);
const monotonicMs = () => Number(process.hrtime.bigint()) / 1e6;

const clis = (opts.cli ?? CLI).split(',').map((cli) => resolve(cli));
const results = new Map(clis.map((cli) => [cli, []]));
for (let r = 0; r < Number(opts.runs); r++) {
  for (const cli of clis) {
    const one = await onePass(cli, opts.detail === true && r === Number(opts.runs) - 1);
    results.get(cli).push(one);
    console.log(`run ${r + 1} ${cli}: process ${one.total.toFixed(0)} ms, first call at ${one.firstStart.toFixed(0)}, calls span ${one.span.toFixed(0)}, tail ${one.tail.toFixed(0)}, ${one.calls} calls`);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
for (const [cli, list] of results) {
  const m = (key) => median(list.map((x) => x[key])).toFixed(0);
  console.log(`median ${cli}: process ${m('total')} ms, first call at ${m('firstStart')}, calls span ${m('span')}, tail ${m('tail')} (${list.length} runs)`);
}

/** One fresh scenario, one profiled `reconcile`; prints the full report when `detail`. */
async function onePass(cli, detail) {
  const sc = await createScenario(n, `timeline-${opts.mode}`);
  // The passes that set the scene run the same build as the measured one: its config cache (valid-config-cache.ts,
  // under HOME, keyed by the build's schema files) is then as warm for each build as the bench leaves it.
  const orchestratorOk = async (scenario, args, { cwd = scenario.fixture.repo } = {}) => {
    const result = await run(process.execPath, [cli, ...args, '-c', scenario.configFile], { cwd, env: orchestratorEnv(scenario) });
    if (result.code !== 0) throw new Error(`${args.join(' ')} exited ${result.code}: ${result.stderr.slice(-2000)}`);
    return result;
  };
  const server = await startFakeRavi(0);
  try {
    const lease = opts.mode.endsWith('lease');
    await useServer(sc, server, { quarantine: lease ? 0 : '30m', concurrency });
    let targets = sc.fixture.worktrees;
    let args = ['reconcile'];
    let cwd = sc.fixture.repo;
    if (opts.mode.startsWith('setup')) {
      await orchestratorOk(sc, ['reconcile']); // the existing worktree's identity: idle after the release below
      await orchestratorOk(sc, ['reconcile']); // as the bench's untimed trial 0: the state dir now exists for the vault hint
      if (lease) await orchestratorOk(sc, ['release', '--worktree', sc.fixture.worktrees[0]], { cwd: sc.fixture.worktrees[0] });
      const worktree = join(sc.root, 'app-worktrees', 'setup-new');
      await git(sc.fixture.repo, 'worktree', 'add', '--quiet', '-b', 'setup-new', worktree, 'HEAD');
      targets = [worktree];
      args = ['reconcile', '--worktree', worktree];
      cwd = worktree;
    } else if (lease) {
      await orchestratorOk(sc, ['reconcile']);
      for (const worktree of sc.fixture.worktrees) await git(sc.fixture.repo, 'worktree', 'remove', '--force', worktree);
      await orchestratorOk(sc, ['reconcile']); // ends the N leases
      targets = [];
      for (let i = 1; i <= n; i++) {
        targets.push(join(sc.root, 'app-worktrees', `lease-${i}`));
        await git(sc.fixture.repo, 'worktree', 'add', '--quiet', '-b', `lease-${i}`, targets.at(-1), 'HEAD');
      }
    }
    await server.setLatency(latency);
    await server.reset();
    const profDir = opts.keep ?? join(sc.root, 'prof');
    await mkdir(profDir, { recursive: true });
    const profile = [...(opts['node-flags']?.split(' ').filter(Boolean) ?? []), ...(opts.require ? ['--require', opts.require] : []), ...(opts.profile === false ? [] : ['--cpu-prof', '--cpu-prof-dir', profDir, ...(opts.interval ? ['--cpu-prof-interval', opts.interval] : [])])];
    const spawnedAt = monotonicMs();
    const result = await run(process.execPath, [...profile, cli, ...args, '-c', sc.configFile], { cwd, env: orchestratorEnv(sc) });
    const exitedAt = monotonicMs();
    // A preload's marks: lines `LC <label> <monotonic ms>` (process.hrtime), shown as ms after the spawn.
    if (opts.require) {
      const marks = result.stderr.split('\n').filter((l) => l.startsWith('LC ')).map((l) => l.split(' '));
      console.log(marks.map(([, label, at]) => `LC ${label} ${(Number(at) - spawnedAt).toFixed(1)}`).join('\n'));
    }
    if (result.code !== 0) throw new Error(`reconcile exited ${result.code}: ${result.stderr.slice(-2000)}`);
    await verifyEnvFiles(targets);
    const calls = (await server.calls()).map((c) => ({ ...c, start: c.startedAt - spawnedAt, end: (c.endedAt ?? exitedAt) - spawnedAt }));
    const total = exitedAt - spawnedAt;
    const firstStart = Math.min(...calls.map((c) => c.start));
    const lastEnd = Math.max(...calls.map((c) => c.end));
    if (detail) {
      const profileFile = (await readdir(profDir)).find((f) => f.endsWith('.cpuprofile'));
      report(calls, JSON.parse(await readFile(join(profDir, profileFile), 'utf8')), spawnedAt, total);
    }
    return { total, firstStart, span: lastEnd - firstStart, tail: total - lastEnd, calls: calls.length };
  } finally {
    await server.close();
    await removeTempDir(sc.root);
  }
}

function report(calls, profile, spawnedAt, totalMs) {
  const fmt = (x) => x.toFixed(1).padStart(7);
  const route = (c) => `${c.method} ${c.path.replace(/^(\/api\/[a-z-]+\/)[^/]+\/$/, '$1:id/')}`;
  const samples = samplesOf(profile, spawnedAt);
  console.log(`mode ${opts.mode}, N = ${n}, latency ${latency} ms, concurrency ${concurrency}: process ${totalMs.toFixed(0)} ms (spawn to exit)`);
  console.log(`profile: ${samples[0]?.t.toFixed(1)} .. ${samples.at(-1)?.t.toFixed(1)} ms after spawn; ${calls.length} calls`);
  const byRoute = {};
  for (const c of calls) byRoute[route(c)] = (byRoute[route(c)] ?? 0) + 1;
  console.log(`calls by route: ${JSON.stringify(byRoute)}`);
  console.log('\n  start     end   in-flight-at-start  route');
  for (const c of [...calls].sort((a, b) => a.start - b.start)) {
    const inFlight = calls.filter((o) => o.start <= c.start && o.end > c.start).length;
    console.log(`${fmt(c.start)} ${fmt(c.end)}   ${String(inFlight).padStart(2)}  ${route(c)}`);
  }
  // Intervals where fewer than `concurrency` calls were in flight between the first start and the last end.
  const edges = [...calls.flatMap((c) => [[c.start, 1], [c.end, -1]])].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let level = 0;
  let prev = 0;
  const under = [];
  for (const [t, d] of edges) {
    if (t > prev) under.push({ from: prev, to: t, level });
    level += d;
    prev = t;
  }
  under.push({ from: prev, to: totalMs, level: 0 });
  const firstStart = Math.min(...calls.map((c) => c.start));
  const lastEnd = Math.max(...calls.map((c) => c.end));
  console.log(`\nbefore the first call: ${firstStart.toFixed(1)} ms; calls span ${(lastEnd - firstStart).toFixed(1)} ms; after the last answer: ${(totalMs - lastEnd).toFixed(1)} ms`);
  const levelTime = new Map();
  for (const iv of under) if (iv.from >= firstStart && iv.to <= lastEnd) levelTime.set(iv.level, (levelTime.get(iv.level) ?? 0) + iv.to - iv.from);
  console.log(`time at each in-flight level during the calls: ${[...levelTime].sort((a, b) => a[0] - b[0]).map(([l, t]) => `${l}: ${t.toFixed(1)} ms`).join(', ')}`);
  const gaps = under.filter((iv) => iv.from >= firstStart && iv.to <= lastEnd && iv.level < concurrency && iv.to - iv.from >= 1);
  console.log(`\nspans under ${concurrency} in flight (>= 1 ms) during the calls:`);
  for (const g of gaps) console.log(`${fmt(g.from)} ${fmt(g.to)}  ${g.level} in flight  main thread: ${topOf(samples, g.from, g.to, 3)}`);
  const top = Number(opts.top);
  console.log(`\nmain thread before the first call (0 .. ${firstStart.toFixed(0)}):\n${topOf(samples, 0, firstStart, top, '\n')}`);
  console.log(`\nmain thread while fewer than ${concurrency} calls ran (during the calls):\n${topOfMany(samples, gaps, top)}`);
  console.log(`\nthe same, by the innermost frame of our code (dist/) on the stack:\n${topOfMany(samples, gaps, top, 'ours')}`);
  const zero = gaps.filter((g) => g.level === 0);
  console.log(`\nwhile no call was in flight (${zero.reduce((a, g) => a + g.to - g.from, 0).toFixed(0)} ms), by our innermost frame:\n${topOfMany(samples, zero, top, 'ours')}`);
  console.log(`\nbefore the first call, by our innermost frame:\n${topOfMany(samples, [{ from: 0, to: firstStart }], top, 'ours')}`);
  if (opts.window !== undefined) {
    // 5 ms steps through a window of the run: what the main thread did, in order (our innermost frame, then the leaf).
    // 'gap': the longest span with no call in flight while calls were still to come.
    const longest = zero.reduce((a, g) => (g.to - g.from > a.to - a.from ? g : a), { from: 0, to: 0 });
    const [from, to] = opts.window === 'gap' ? [Math.floor(longest.from), Math.ceil(longest.to)]
      : opts.window === 'tail' ? [Math.floor(lastEnd - 60), Math.ceil(totalMs)] : opts.window.split(',').map(Number);
    console.log(`\nmain thread ${from} .. ${to} ms, 5 ms steps:`);
    for (let t = from; t < to; t += 5) console.log(`${fmt(t)}  ${render(tally(samples, t, t + 5, new Map(), 'ours'), 2, ' | ')}  <  ${render(tally(samples, t, t + 5), 2, ' | ')}`);
  }
  console.log(`\nmain thread after the last answer (${lastEnd.toFixed(0)} .. ${totalMs.toFixed(0)}):\n${topOf(samples, lastEnd, totalMs, top, '\n')}`);
  console.log(`\nthe same, by our innermost frame:\n${topOfMany(samples, [{ from: lastEnd, to: totalMs }], top, 'ours')}`);
}

/** Each sample as {t: ms after spawn, name: function (url:line)}; idle and GC samples keep their names. */
function samplesOf(profile, spawnedAt) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  // The innermost frame of our own code (dist/) on the sample's stack: what of ours the time is spent for.
  const ours = (id) => {
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const frame = nodes.get(at)?.callFrame;
      if (/\/dist(-cli)?\//.test(frame?.url ?? '')) return `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*\/dist(-cli)?\//, '')}:${frame.lineNumber + 1}`;
    }
    return null;
  };
  const out = [];
  let t = profile.startTime / 1000 - spawnedAt;
  for (let i = 0; i < profile.samples.length; i++) {
    t += (profile.timeDeltas[i] ?? 0) / 1000;
    const frame = nodes.get(profile.samples[i])?.callFrame;
    const file = frame?.url ? frame.url.replace(/^.*\/(node_modules\/[^/]+|src|dist)\//, '$1/') : '';
    const name = `${frame?.functionName || '(anonymous)'}${file ? ` ${file}:${frame.lineNumber + 1}` : ''}`;
    out.push({ t, name, file, ours: ours(profile.samples[i]) ?? name });
  }
  return out;
}

function tally(samples, from, to, counts = new Map(), key = 'name') {
  for (let i = 0; i < samples.length - 1; i++) {
    const s = samples[i];
    if (s.t < from || s.t >= to) continue;
    const dt = Math.min(samples[i + 1].t, to) - s.t;
    counts.set(s[key], (counts.get(s[key]) ?? 0) + dt);
  }
  return counts;
}

function render(counts, top, sep) {
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const busy = [...counts].filter(([name]) => name !== '(idle)' && name !== '(program)').reduce((a, [, v]) => a + v, 0);
  const list = [...counts].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, v]) => `${v.toFixed(1)} ms ${name}`);
  return `[${total.toFixed(0)} ms sampled, ${busy.toFixed(0)} ms not idle]${sep}${list.join(sep)}`;
}

function topOf(samples, from, to, top, sep = '; ') {
  return render(tally(samples, from, to), top, sep === '; ' ? ' ' : sep).replace(/\n/g, sep);
}

function topOfMany(samples, spans, top, key = 'name') {
  const counts = new Map();
  for (const s of spans) tally(samples, s.from, s.to, counts, key);
  return render(counts, top, '\n');
}
