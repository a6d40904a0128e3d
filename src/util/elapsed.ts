/**
 * Milliseconds on the monotonic clock, for a duration. `performance.now()` would do, but the first use of the global
 * `performance` loads Node's perf_hooks and its ten internal modules, about 1 ms of a one-shot command's start-up
 * (`node -e "performance.now()"` against `node -e 0`, 40 interleaved runs, Node 20.20, 2026-12-03); process.hrtime
 * is already there.
 */
export function monotonicMs(): number {
  const [seconds, nanoseconds] = process.hrtime();
  return seconds * 1e3 + nanoseconds / 1e6;
}
