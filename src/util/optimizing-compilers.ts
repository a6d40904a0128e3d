/**
 * `runWithoutOptimizingCompilers`: for the long-lived, mostly idle processes (the daemon, an agent's MCP server),
 * whose resident memory counts for all their life and whose CPU for the few milliseconds of a pass or a tool call.
 * Their code runs in V8's interpreter and its baseline compiler (Sparkplug), never in TurboFan or Maglev. Those
 * compilers' own machine code is in the node binary, and the pages of it that optimizing a function touches stay in
 * the process's RSS for good (file-backed, kept while memory is free): on Node 24, by symbol (/proc/<pid>/pagemap
 * against `nm`), about 6 MB of TurboFan and Maglev code in the idle daemon, none in a bare `node`. Measured on Node
 * 24.22, 2026-12-05: the idle daemon with 100 worktrees (bench/daemon-footprint.mjs) 68.4 -> 59.0 MB with the ravi
 * provider (file-backed 50.2 -> 42.3), 69.3 -> 59.5 with the local one, TurboFan alone off 63.4; an MCP server idle
 * after a `whoami` 69.5 -> 62.1 MB (file-backed 47.7 -> 41.7), and an agent has one each. Their work is system
 * calls and waiting; what a daemon's pass costs more is in the README (Performance).
 *
 * Set at run time, which covers every way these processes start (the bin, from a shell or a service; cli/main.js,
 * from a service installed by an earlier version): V8 checks --turbofan and --maglev whenever it would tier a
 * function up (test/e2e/optimizing-compilers.test.ts: a hot function stays unoptimized), whereas --max-opt set at run
 * time changed nothing (V8 derives those two from it only at start-up). The bin sets them too, earlier (it says why).
 * https://nodejs.org/api/v8.html#v8setflagsfromstringflags
 */
import v8 from 'node:v8';

export function runWithoutOptimizingCompilers(): void {
  for (const flag of ['--no-turbofan', '--no-maglev']) v8.setFlagsFromString(flag);
}
