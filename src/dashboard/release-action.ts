/** The dashboard's release button, the same wherever the dashboard runs (its own command or the daemon). */
import type { Logger } from '../util/logger.js';
import type { Config } from '../config/types.js';
import type { Provider } from '../providers/types.js';
import { releaseWorktree } from '../reconcile/release.js';

export async function releaseFromDashboard(
  deps: { config: Config; provider: Provider; logger: Logger; lockWaitMs: number },
  worktree: string,
): Promise<string> {
  const report = await releaseWorktree({ ...deps, worktree });
  return report.released === null ? `${worktree} had no identity to release.` : `Released ${report.released.name} to the pool (${worktree}).`;
}
