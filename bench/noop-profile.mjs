#!/usr/bin/env node
// Where a no-op `reconcile` of N worktrees spends its time, as a whole process (issue 16, goal 3).
//
//   npm run build && tsc -p bench/tsconfig.json && node bench/noop-profile.mjs --n 500 --runs 5 [--keep DIR]
//
// Provisions N worktrees (fake Ravi at latency 0), then runs the no-op with --cpu-prof at the configured latency
// and prints the process time and where the main thread's samples fell: by leaf frame and by our innermost frame.
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CLI, removeTempDir, run, startFakeRavi } from './lib.mjs';
import { createScenario, orchestratorEnv, orchestratorOk, useServer } from './scenario.mjs';

const { values: opts } = parseArgs({
  options: { n: { type: 'string', default: '500' }, runs: { type: 'string', default: '5' }, latency: { type: 'string', default: '50' }, keep: { type: 'string' }, top: { type: 'string', default: '25' }, interval: { type: 'string', default: '250' } },
});
const sc = await createScenario(Number(opts.n), `noop-profile-${opts.n}`);
const server = await startFakeRavi(0);
try {
  await useServer(sc, server);
  await orchestratorOk(sc, ['reconcile'], { timeoutMs: 1_800_000 });
  await orchestratorOk(sc, ['reconcile']); // the first pass after a cold one may still tidy up
  await server.setLatency(Number(opts.latency));
  const profDir = opts.keep ?? join(sc.root, 'prof');
  await mkdir(profDir, { recursive: true });
  const times = [];
  for (let i = 0; i < Number(opts.runs); i++) {
    const started = performance.now();
    const result = await run(process.execPath, ['--cpu-prof', '--cpu-prof-dir', profDir, '--cpu-prof-interval', opts.interval, CLI, 'reconcile', '-c', sc.configFile], { cwd: sc.fixture.repo, env: orchestratorEnv(sc) });
    times.push(performance.now() - started);
    if (result.code !== 0) throw new Error(`reconcile exited ${result.code}: ${result.stderr.slice(-2000)}`);
  }
  console.log(`no-op N=${opts.n}: ${times.map((t) => t.toFixed(0)).join(' ')} ms (with the profiler on)`);
  const leaf = new Map();
  const ours = new Map();
  let total = 0;
  for (const file of (await readdir(profDir)).filter((f) => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(await readFile(join(profDir, file), 'utf8'));
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    const parent = new Map();
    for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
    const name = (frame) => `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*\/(node_modules\/[^/]+|dist-cli|dist)\//, '$1/')}:${frame.lineNumber + 1}`;
    for (let i = 0; i < profile.samples.length; i++) {
      const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
      const frame = nodes.get(profile.samples[i]).callFrame;
      if (frame.functionName === '(idle)') continue;
      total += dt;
      leaf.set(name(frame), (leaf.get(name(frame)) ?? 0) + dt);
      let mine = name(frame);
      for (let at = profile.samples[i]; at !== undefined; at = parent.get(at)) {
        const f = nodes.get(at).callFrame;
        if (/\/dist(-cli)?\//.test(f.url)) { mine = name(f); break; }
      }
      ours.set(mine, (ours.get(mine) ?? 0) + dt);
    }
  }
  const runs = Number(opts.runs);
  const show = (title, map) => {
    console.log(`\n${title} (ms per run, of ${(total / runs).toFixed(0)} ms not idle):`);
    for (const [k, v] of [...map].sort((a, b) => b[1] - a[1]).slice(0, Number(opts.top))) console.log(`${(v / runs).toFixed(1).padStart(7)}  ${k}`);
  };
  show('by leaf frame', leaf);
  show('by our innermost frame', ours);
} finally {
  await server.close();
  await removeTempDir(sc.root);
}
