/**
 * What a focused pass observes (focus-pass.ts): the provider's identities and the vault as any pass does, but of
 * the repo only the named worktrees and their files. Nothing here grows with the repo's other worktrees.
 *
 * The planner is the same pure function as for a full pass, so it must not take the worktrees this pass did not
 * list for gone ones: `outOfSight` shows it the ledger's leases and the port blocks of those worktrees as if they
 * belonged to no repo of this pass. Their leases then end nowhere, their blocks stay taken (a new worktree can
 * never be handed a block or an identity a living worktree holds), and the ledger itself is not touched.
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

/** Stands for "a repo this pass does not look at" in the planner's view (never a real path: it has a NUL). */
const OUT_OF_SIGHT = '\0out of sight of a focused pass';

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
  const inSight = new Set(worktrees.map((w) => w.key as string));
  return {
    now: options.now,
    repos: [{ repoPath, inventory: { ok: true, value: inventory }, claim, worktrees }],
    identities: await identities,
    vault: vault === null ? null : await vault,
    ledger: outOfSight(state.ledger, inventory.commonDir, inSight),
    ports: outOfSightPorts(state.ports, inventory.commonDir, inSight),
    issuesScopedKeys: provider.issuesScopedKeys,
  };
}

/** The ledger as the planner of a focused pass sees it: leases and teardown records of unlisted worktrees elsewhere. */
function outOfSight(ledger: LedgerState, commonDir: string, inSight: ReadonlySet<string>): LedgerState {
  const hidden = (record: { readonly commonDir: string; readonly worktreeKey: string }) => record.commonDir === commonDir && !inSight.has(record.worktreeKey);
  const identities = new Map(
    [...ledger.identities].map(([name, identity]) => [name, identity.lease !== null && hidden(identity.lease) ? { ...identity, lease: { ...identity.lease, commonDir: OUT_OF_SIGHT } } : identity]),
  );
  const released = new Map([...ledger.released].map(([key, record]) => [key, hidden(record) ? { ...record, commonDir: OUT_OF_SIGHT } : record]));
  return { ...ledger, identities, released };
}

function outOfSightPorts(ports: PortState, commonDir: string, inSight: ReadonlySet<string>): PortState {
  const blocks = new Map([...ports.blocks].map(([key, block]) => [key, block.commonDir === commonDir && !inSight.has(block.worktreeKey) ? { ...block, commonDir: OUT_OF_SIGHT } : block]));
  return { ...ports, blocks };
}
