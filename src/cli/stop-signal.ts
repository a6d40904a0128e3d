/**
 * Resolves at the first SIGINT or SIGTERM, for commands that serve until stopped (`dashboard`, `mail serve`).
 *
 * The listeners stay registered until the process ends (`on`, not `once`): proper-lockfile's signal-exit re-raises
 * a signal to kill the process when its own listeners are the only ones left on it, so a `once` listener that ran
 * first and removed itself let a process that had taken a lock die of the signal instead of closing cleanly (exit
 * code 0). A second signal while closing resolves nothing more.
 */
export function untilStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.on('SIGINT', resolve);
    process.on('SIGTERM', resolve);
  });
}
