/**
 * The repos a state dir manages, read from its ledger: what `status` shows when no repo is in reach. The one
 * place the CLI reads repos out of ledger entries, so a change of the ledger's shape changes only this.
 */
import { basename, dirname } from 'node:path';
import { Ledger } from '../files/ledger.js';

export async function managedRepos(stateDir: string, ledgerScope: string): Promise<string[]> {
  const ledger = await Ledger.open(stateDir, ledgerScope);
  const commonDirs = new Set(ledger.entries().map((entry) => entry.commonDir));
  return [...commonDirs].map(repoOfCommonDir).sort();
}

/** `<main>/.git` belongs to the main worktree `<main>`; a bare repo is its common dir. */
function repoOfCommonDir(commonDir: string): string {
  return basename(commonDir) === '.git' ? dirname(commonDir) : commonDir;
}
