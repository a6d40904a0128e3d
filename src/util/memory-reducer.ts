/**
 * Lets V8's memory reducer see that a long-lived process (the daemon, an agent's MCP server, the local mail servers,
 * the dashboard) has gone idle after a burst of work, so that it collects what the burst left, hands the memory back
 * and stops its timer.
 *
 * The reducer wakes every 8 s after a burst and collects once the allocation rates it samples are all low. From V8
 * 13.1 (Node 24) one of them is the embedder's (cppgc) rate, and a rate of exactly zero counts as the highest there
 * is: V8 CL 5935313 ("[gc] Use exponential decay for allocation speed", commit 790224716ed7) dropped the floor of
 * 1 byte/ms that rate used to have. A process that never allocates on cppgc never passes, so it woke every 8 s for
 * good and never collected: the idle daemon with 100 worktrees on Node 24.22 printed "Memory reducer: high alloc,
 * foreground" at every tick under --trace-memory-reducer (8 main-thread wakeups a minute, RSS 74 MB), an idle MCP
 * server the same, where Node 20 and 22 collect and then sleep.
 *
 * Node allocates on cppgc in one place, node:vm's compiled scripts (src/node_contextify.cc), so compiling an empty
 * script makes that rate positive for the ticks that follow. It decays back to exactly zero in about 110 s, hence a
 * call after each burst (a pass, a request) rather than once. About 5 us (the first in a process 0.15 ms; Node
 * 24.22, a loop of 1000). Earlier V8s floor the rate, so it does nothing there.
 */
import { Script } from 'node:vm';

/** V8 13.1 or later (process.versions.v8 is "13.6.233.17-node.63" on Node 24.22). */
const [V8_MAJOR = 0, V8_MINOR = 0] = process.versions.v8.split('.').map(Number);
export const EMBEDDER_RATE_UNFLOORED = V8_MAJOR > 13 || (V8_MAJOR === 13 && V8_MINOR >= 1);

export function letMemoryReducerSeeIdle(): void {
  if (EMBEDDER_RATE_UNFLOORED) new Script('');
}
