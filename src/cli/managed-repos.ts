/**
 * The repos a state dir manages, read from its ledger: what `status` shows when no repo is in reach. The one
 * place the CLI reads repos out of the ledger, so a change of the ledger's shape changes only this.
 */
import { basename, dirname } from 'node:path';
import { Ledger } from '../files/ledger.js';

/** Repos with a worktree that holds a lease or was released by a teardown (idle pool identities belong to no repo). */
export async function managedRepos(stateDir: string, ledgerScope: string): Promise<string[]> {
  const state = (await Ledger.open(stateDir, ledgerScope)).state();
  const commonDirs = new Set<string>();
  for (const identity of state.identities.values()) if (identity.lease !== null) commonDirs.add(identity.lease.commonDir);
  for (const released of state.released.values()) commonDirs.add(released.commonDir);
  return [...commonDirs].map(repoOfCommonDir).sort();
}

/** `<main>/.git` belongs to the main worktree `<main>`; a bare repo is its common dir. */
function repoOfCommonDir(commonDir: string): string {
  return basename(commonDir) === '.git' ? dirname(commonDir) : commonDir;
}
