/**
 * What a focused pass observes (focus-pass.ts): the provider's identities and the vault as any pass does, but of
 * the repo only the named worktrees and their files. Nothing here grows with the repo's other worktrees.
 *
 * The planner is the same pure function as for a full pass, so it must not take the worktrees this pass did not
 * list for gone ones: the repo is marked `partial`, and the planner then ends no lease, releases no port block and
 * forgets no teardown record of it. Those stay taken (a new worktree can never be handed a block or an identity a
 * living worktree holds), and the ledger is not touched. (It used to be shown a copy of the ledger with every such
 * lease moved to no repo: at 2000 worktrees that copy took a sixth of a focused pass, and its garbage more.)
 */
import type { Config } from '../config/types.js';
import type { Provider } from '../providers/types.js';
import type { LedgerState } from '../files/ledger.js';
import type { PortState } from '../ports/port-ledger.js';
import type { RepoInventory } from '../git/types.js';
import { singlePass } from '../files/recorded-reads.js';
import type { IgnoreAnalysis } from '../git/ignore-fast-path.js';
import type { Observed, ObservedWorktree } from './observed.js';
import { capture, observeClaim, readWorktreeFiles, unreadWorktree } from './observe.js';
import { createWorktreeSelector } from './worktree-filter.js';

export async function observeFocused(
  repoPath: string,
  inventory: RepoInventory,
  config: Config,
  provider: Provider,
  state: { readonly ledger: LedgerState; readonly ports: PortState },
  options: { readonly now: number; readonly signal?: AbortSignal | undefined },
): Promise<Observed> {
  const call = { signal: options.signal };
  const identities = capture(provider.listIdentities(call));
  const vault =
    config.env.secrets.length > 0 && config.secrets.vault !== null ? capture(provider.listVaultSecrets(config.secrets.vault, call)) : null;
  const selector = createWorktreeSelector(config);
  // A cache of its own: sharing the daemon's kept answers would make the full pass after drop all the others.
  const passOptions = { now: options.now, signal: options.signal, ignoreCache: singlePass<IgnoreAnalysis>() };
  const [claim, worktrees] = await Promise.all([
    observeClaim(inventory.commonDir, config.stateDir),
    Promise.all(inventory.worktrees.map(async (worktree): Promise<ObservedWorktree> => {
      const base = unreadWorktree(worktree, inventory.commonDir, selector);
      return base.managed ? { ...base, ...(await readWorktreeFiles(worktree.path, config, provider, passOptions)) } : base;
    })),
  ]);
  return {
    now: options.now,
    repos: [{ repoPath, inventory: { ok: true, value: inventory }, claim, worktrees, partial: true }],
    identities: await identities,
    vault: vault === null ? null : await vault,
    ledger: state.ledger,
    ports: state.ports,
    issuesScopedKeys: provider.issuesScopedKeys,
  };
}
