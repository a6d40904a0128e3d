/**
 * Lets the event loop take in what has already arrived. Synchronous work (a pass reads its worktrees' files with
 * sync calls) holds the loop, so an HTTP answer that landed meanwhile waits in its socket until the loop polls
 * again; a promise chain that resumes in the loop's check phase may never reach a poll. Two setImmediate turns
 * always have a poll phase between them (Node's event loop: check, close, timers, pending, poll, check), and that
 * poll reads every socket that is ready, running its callbacks and their promise chains before the second turn.
 */
export function afterPendingIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}
