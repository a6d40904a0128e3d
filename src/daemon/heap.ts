/**
 * The daemon's memory trade-offs, set once at its start through V8's flags (a long-lived, mostly idle process: its
 * resident memory counts for all its life; its CPU, for the few milliseconds of a pass).
 *
 * `keepYoungGenerationSmall`: stops V8 from growing its young generation past its initial 2 MB. By default a
 * burst of allocation (the start-up pass over every worktree) grows it to 32 MB (Node 20, 22) or 64 MB
 * (Node 24), and an idle process runs no collection that would shrink it again, so the daemon kept that
 * memory for the rest of its life. Measured on the idle daemon with 100 worktrees: RSS 99 -> 80 MB.
 * The cost is more scavenges during a pass (each one small, as a pass keeps little alive).
 *
 * V8 reads --semi-space-growth-factor each time it grows the young generation (heap/new-spaces.cc), so it
 * takes effect when set at run time, unlike --max-semi-space-size, which is fixed when the heap is set up.
 * https://nodejs.org/api/v8.html#v8setflagsfromstringflags
 */
import v8 from 'node:v8';

export function keepYoungGenerationSmall(): void {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}

/**
 * `runWithoutOptimizingCompilers`: the daemon's code runs in V8's interpreter and its baseline compiler
 * (Sparkplug), never in TurboFan or Maglev. Those compilers' own machine code is in the node binary, and the pages
 * of it that optimizing a function touches stay in the process's RSS for good (file-backed, kept while memory is
 * free): on Node 24, by symbol (/proc/<pid>/pagemap against `nm`), about 6 MB of TurboFan and Maglev code in the
 * idle daemon, none in a bare `node`. Measured with bench/daemon-footprint.mjs, 100 worktrees, Node 24.22,
 * 2026-12-05: idle RSS 68.4 -> 59.0 MB with the ravi provider (file-backed 50.2 -> 42.3), 69.3 -> 59.5 with the
 * local one; TurboFan alone off: 63.4. A pass is CPU-light (its time is system calls); what it costs more is in
 * the README (Performance).
 *
 * Set at run time, which covers every way the daemon starts (the bin, from a shell or a service; cli/main.js, from
 * a service installed by an earlier version), before the first pass: V8 checks --turbofan and --maglev whenever it would tier a function up
 * (test/e2e/daemon-optimizing-compilers.test.ts: a hot function stays unoptimized), whereas --max-opt set at run
 * time changed nothing (V8 derives those two from it only at start-up). The bin sets them too, earlier (it says why).
 */
export function runWithoutOptimizingCompilers(): void {
  for (const flag of ['--no-turbofan', '--no-maglev']) v8.setFlagsFromString(flag);
}
