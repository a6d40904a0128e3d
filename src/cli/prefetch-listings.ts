/**
 * A one-shot `reconcile` asks the API for the identity listing (and the vault) as soon as it has a provider,
 * while the engine's modules load, the state lock is taken and git lists the worktrees: a setup script's
 * `reconcile --worktree` then waits for the first round trip during its start-up instead of after it.
 *
 * The pass reads that early listing only when it is still the truth under the lock: no other process of this
 * state dir changed an identity since it was asked for. Every change of ours to an identity is written to the
 * ledger under the state lock before the provider is asked (apply-write-ahead.ts), so the check is: the lock
 * was free just before the request went out, and the ledger's files are the same ones, unchanged, when the
 * pass asks (under its lock). Otherwise the pass lists again, as it always did.
 *
 * The caller waits for `sent` before it loads the engine: a request is written only once its connection is up,
 * which Node learns in a turn of the event loop, and a module load is synchronous work that holds that turn
 * back (measured: the listing left 60-90 ms late, after the engine's modules, on a loopback API).
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Config } from '../config/types.js';
import { ledgerFileFor } from '../files/ledger-types.js';
import type { CallOptions, Identity, Provider } from '../providers/types.js';
import type { Logger } from '../util/logger.js';

/** An answer older than this (a pass that waited for the lock) is asked for again: the truth may have moved. */
export const EARLY_LISTING_FRESH_MS = 5_000;

export interface PrefetchOptions {
  readonly logger?: Logger;
  /** Clock for tests. @default Date.now */
  readonly now?: () => number;
}

export interface EarlyListings {
  /** The provider, its first identity listing (and vault listing) already asked for when that is worth it. */
  readonly provider: Provider;
  /** Settles when those requests have left (or failed): from then on the process only waits for answers. */
  readonly sent: Promise<void>;
}

export function prefetchListings(provider: Provider, config: Config, { logger, now = Date.now }: PrefetchOptions = {}): EarlyListings {
  const nothingAsked = { provider, sent: Promise.resolve() };
  if (provider.kind === 'local') return nothingAsked; // files on this machine: nothing to wait for
  const ledgerBefore = ledgerFingerprint(config.stateDir, provider.ledgerScope);
  if (stateLockHeld(config.stateDir)) {
    logger?.debug('the state lock is held: the identity listing waits for the pass');
    return nothingAsked; // a pass is under way: its changes may land after our listing
  }
  const askedAt = now();
  // A signal of their own: the ravi provider shares an in-flight listing only among calls with the same signal,
  // so a listing asked for again below is a new request, never this one still on its way (the vault's lookup
  // by name does share it: same signal).
  const signal = new AbortController().signal;
  const identities = sentOrSettled((onSent) => provider.listIdentities({ signal, onSent }));
  const vaultName = config.env.secrets.length > 0 ? config.secrets.vault : null;
  const vault = vaultName === null ? null : sentOrSettled((onSent) => provider.listVaultSecrets(vaultName, { signal, onSent }));
  const earlyIdentities = identities.answer;
  const earlyVault = vault?.answer ?? null;
  let identitiesTaken = false;
  let vaultTaken = false;
  const wrapped: Provider = {
    ...provider,
    listIdentities(options?: CallOptions): Promise<Identity[]> {
      if (identitiesTaken || options?.signal !== undefined) return provider.listIdentities(options);
      identitiesTaken = true;
      const fresh = now() - askedAt <= EARLY_LISTING_FRESH_MS;
      const current = fresh && ledgerFingerprint(config.stateDir, provider.ledgerScope) === ledgerBefore;
      logger?.debug(current ? 'the identity listing asked for at start-up serves the pass'
        : fresh ? 'the ledger changed since the identity listing was asked for: listing again' : 'the identity listing asked for at start-up is too old: listing again');
      return current ? earlyIdentities : provider.listIdentities(options);
    },
    listVaultSecrets(vault: string, options?: CallOptions): Promise<Map<string, string>> {
      // Our processes never write a Ravi vault: an early answer is as true as a late one.
      if (earlyVault === null || vaultTaken || vault !== vaultName || options?.signal !== undefined) return provider.listVaultSecrets(vault, options);
      vaultTaken = true;
      return earlyVault;
    },
  };
  return { provider: wrapped, sent: Promise.all([identities.sent, vault?.sent]).then(() => undefined) };
}

/** A call's answer (handled now: see quiet) and when it stopped sending: its onSent, or its answer, whichever first. */
function sentOrSettled<T>(call: (onSent: () => void) => Promise<T>): { answer: Promise<T>; sent: Promise<void> } {
  let onSent = (): void => {};
  const sent = new Promise<void>((resolve) => (onSent = resolve));
  const answer = quiet(call(onSent));
  answer.then(onSent, onSent);
  return { answer, sent };
}

/**
 * Which files the ledger of `scope` is now (its snapshot and journal, ledger-types.ts / journaled-store.ts):
 * every write appends to the journal (size) or renames a new snapshot in (inode), so equal means unchanged.
 */
export function ledgerFingerprint(stateDir: string, scope: string): string {
  const file = ledgerFileFor(stateDir, scope);
  const prefix = basename(file);
  let names: string[];
  try {
    names = readdirSync(dirname(file)).filter((name) => name.startsWith(prefix)).sort();
  } catch {
    return 'no ledger folder';
  }
  return names
    .map((name) => {
      const info = statSync(join(dirname(file), name), { bigint: true, throwIfNoEntry: false });
      return info === undefined ? `${name}:gone` : `${name}:${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
    })
    .join('\n');
}

/** The state lock's folder (state-lock.ts: proper-lockfile makes `<stateDir>/reconcile.lock` while held). */
function stateLockHeld(stateDir: string): boolean {
  try {
    return statSync(join(stateDir, 'reconcile.lock'), { throwIfNoEntry: false }) !== undefined;
  } catch {
    return true; // cannot tell: as if held
  }
}

/** Handled now (a failure is only seen when the pass takes the answer): no unhandled rejection meanwhile. */
function quiet<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}
