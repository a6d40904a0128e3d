/**
 * Planning for one managed worktree: keep the lease it holds (or say it needs one), then its env file,
 * its scoped key and its ignore rules. Pure.
 */
import type { RepoInventory } from '../git/types.js';
import type { LedgerIdentity } from '../files/ledger.js';
import type { ObservedWorktree } from './observed.js';
import { oldestNamed, type PlanContext } from './plan.js';
import { renderWorktreeEnv, type IdentityFacts } from './desired-env.js';
import { planWorktreePorts, releasePortsOfReleased, type PlannedPorts } from './plan-ports.js';
import { TEMP_FILES_EXCLUDE, tempFileExample } from '../files/temp-files.js';
import { compareText } from '../util/compare-text.js';

export const SCOPED_CONFIG_PATH = '.ravi/config.json';

/** A managed worktree without a lease: plan-acquire.ts finds it one. */
export interface Wanting {
  readonly observed: ObservedWorktree;
  readonly inventory: RepoInventory;
  readonly excludePatterns: Set<string>;
  /** The identity it held vanished from the provider: a new one is a re-creation. */
  readonly replacing: boolean;
  readonly ports: PlannedPorts;
}

export interface PlannedFacts extends IdentityFacts {
  /** Null when the identity is created in this pass. */
  readonly uuid: string | null;
}

/** Plans a worktree that holds a lease; returns what it wants instead when it holds none. */
export function planHeldOrWanting(
  observed: ObservedWorktree,
  inventory: RepoInventory,
  context: PlanContext,
  excludePatterns: Set<string>,
): Wanting | null {
  const key = observed.key as string;
  const path = observed.worktree.path;
  const target = { key, commonDir: inventory.commonDir, worktreePath: path };
  const problem = (message: string) => context.problems.push({ commonDir: inventory.commonDir, worktreePath: path, message });
  const held = [...(context.heldBy.get(key) ?? [])].sort(byLeaseStart);
  const holder = held[0];
  for (const extra of held.slice(1)) {
    // One worktree, one identity: a second lease (only ever a bug's leftover) goes back to the pool.
    context.releasedNow.add(extra.name);
    context.actions.push({ ...target, type: 'release-lease', name: extra.name, reason: `${path} holds ${holder?.name} already` });
  }

  if (context.ledger.released.has(key)) {
    if (context.focusKey !== key) {
      context.notes.push({ commonDir: inventory.commonDir, message: `${path}: no identity (released by teardown; \`reconcile --worktree\` gives it one again)` });
      releasePortsOfReleased(key, inventory.commonDir, path, context);
      return null;
    }
    context.actions.push({ ...target, type: 'revive-worktree' });
  }
  const ports = planWorktreePorts(observed, inventory, context);
  const files = (facts: PlannedFacts | null, newLease: boolean) => planWorktreeFiles(observed, inventory, facts, ports, newLease, context, excludePatterns);
  if (!context.identitiesNeeded) {
    files(null, false); // a config that only wants ports: no identity to lease
    return null;
  }
  const want: Wanting = { observed, inventory, excludePatterns, replacing: false, ports };
  if (holder === undefined) {
    if (context.identities !== null) return want;
    problem('it cannot get an identity until identities can be listed (see the error above)');
    return null;
  }

  if (holder.state === 'creating') {
    if (context.identities === null) {
      problem('its identity cannot be created until identities can be listed (see the error above)');
      return null;
    }
    const made = oldestNamed(context.identities, holder.name);
    if (made === null) {
      // The create never reached the provider: try again under the name recorded in the intent.
      context.actions.push({ ...target, type: 'create-identity', name: holder.name, adminId: observed.worktree.adminId as string, branch: observed.worktree.branch, recreate: false });
      files({ name: holder.name, email: null, phone: null, uuid: null }, true);
      return null;
    }
    context.actions.push({ type: 'adopt-identity', name: holder.name, identity: made, target });
    files({ name: made.name, email: made.email, phone: made.phone, uuid: made.uuid }, true);
    return null;
  }

  const listed = context.identityByUuid.get(holder.uuid as string);
  if (listed === undefined) {
    if (context.identities === null || context.listingDoubt !== null) {
      files(factsOf(holder), false);
      return null;
    }
    // Deleted at the provider (its web UI): forget it and lease or create another (its name is free again).
    context.actions.push({ type: 'forget-identity', name: holder.name, reason: 'it vanished from the provider', target });
    context.takenNames.delete(holder.name);
    return { ...want, replacing: true };
  }
  const lease = holder.lease;
  if (lease !== null && (lease.worktreePath !== path || lease.branch !== observed.worktree.branch || holder.email !== listed.email || holder.phone !== listed.phone)) {
    context.actions.push({ ...target, type: 'update-lease', name: holder.name, branch: observed.worktree.branch, email: listed.email, phone: listed.phone });
  }
  if (lease?.orphanedSince != null) context.actions.push({ ...target, type: 'clear-orphan', name: holder.name });
  files({ name: holder.name, email: listed.email, phone: listed.phone, uuid: listed.uuid }, false);
  return null;
}

/**
 * The env file, the scoped key and the ignore rules of a worktree whose identity is known (or being made),
 * or that needs none (`facts` null). Without the port block it needs, its env file is left as it is.
 */
export function planWorktreeFiles(
  observed: ObservedWorktree,
  inventory: RepoInventory,
  facts: PlannedFacts | null,
  ports: PlannedPorts,
  newLease: boolean,
  context: PlanContext,
  excludePatterns: Set<string>,
): void {
  if (observed.settling === true) return; // a file of ours just vanished: its folder may be being deleted
  const target = { key: observed.key as string, commonDir: inventory.commonDir, worktreePath: observed.worktree.path };
  const problem = (message: string) => context.problems.push({ commonDir: inventory.commonDir, worktreePath: observed.worktree.path, message });
  const writable = planIgnoreRules(observed, context, excludePatterns, problem);
  if (writable.env && !ports.missing) planEnvFile(observed, inventory, facts, ports, context, problem);
  if (facts !== null && writable.scoped && context.issuesScopedKeys) {
    // Every lease gets a key of its own; an existing lease keeps its key while the file is right.
    const reason = newLease ? 'mint a key for this lease' : scopedKeyReason(observed, facts.uuid);
    if (reason !== null) context.actions.push({ ...target, type: 'write-scoped-key', file: observed.scoped?.path ?? '', reason });
  }
}

function planEnvFile(
  observed: ObservedWorktree,
  inventory: RepoInventory,
  facts: PlannedFacts | null,
  ports: PlannedPorts,
  context: PlanContext,
  problem: (message: string) => void,
): void {
  const env = observed.env;
  if (env === null) return;
  if (env.error !== null) return problem(env.error);
  let rendered;
  try {
    const worktreeFacts = { repoName: inventory.repoName, adminId: observed.worktree.adminId as string, branch: observed.worktree.branch, ports: ports.ports };
    const result = renderWorktreeEnv(context.config.env, facts, worktreeFacts, context.vault, env.content);
    if (result.missingSecrets.length > 0) {
      problem(`the vault has no secret ${result.missingSecrets.join(', ')}; the env file is written without it`);
    }
    rendered = result.render;
  } catch (error) {
    return problem((error as Error).message);
  }
  // A create learns the address only when it lands: the step renders again from the ledger then.
  if (!rendered.changed && facts?.uuid !== null) return;
  context.actions.push({
    type: 'write-env',
    key: observed.key as string,
    commonDir: inventory.commonDir,
    worktreePath: observed.worktree.path,
    file: env.path,
    changedKeys: rendered.changedKeys,
    removedLegacyLines: rendered.removedLegacyLines,
  });
}

/** Which of our files may be written; collects the info/exclude patterns that make them ignored. */
function planIgnoreRules(
  observed: ObservedWorktree,
  context: PlanContext,
  excludePatterns: Set<string>,
  problem: (message: string) => void,
): { env: boolean; scoped: boolean } {
  const ignore = observed.ignore;
  if (ignore === null) return { env: true, scoped: true };
  if (!ignore.ok) {
    problem(`cannot tell whether git ignores its files: ${ignore.error.message}`);
    return { env: false, scoped: false };
  }
  const check = (relPath: string, pattern: string): boolean => {
    if (ignore.value.ignored.get(relPath) === true) return true;
    if (ignore.value.tracked.has(relPath)) {
      problem(`${relPath} is tracked by git, so ravi-orchestrator will not write identities or secrets into it; untrack it (git rm --cached ${relPath}) or set env.file to an untracked path`);
      return false;
    }
    excludePatterns.add(pattern);
    return true;
  };
  const envFile = context.config.env.file;
  const writable = {
    env: check(envFile, `/${envFile}`),
    scoped: context.issuesScopedKeys ? check(SCOPED_CONFIG_PATH, '/.ravi/') : false,
  };
  // The temp files of their atomic writes must be ignored too (files/temp-files.ts): one line covers them all.
  const probes = [envFile, ...(context.issuesScopedKeys ? [SCOPED_CONFIG_PATH] : [])].map(tempFileExample);
  if (probes.some((probe) => ignore.value.ignored.get(probe) !== true)) excludePatterns.add(TEMP_FILES_EXCLUDE);
  return writable;
}

function scopedKeyReason(observed: ObservedWorktree, uuid: string | null): string | null {
  const scoped = observed.scoped;
  if (uuid === null || scoped === null || !scoped.exists) return 'mint a key scoped to this identity';
  if (scoped.malformed) return 'the file is not valid JSON';
  if (scoped.hasManagementKey) return 'it holds an account-wide management key; replace it with a scoped key';
  if (scoped.identityUuid !== uuid || !scoped.hasIdentityKey) return 'it is not scoped to this identity';
  return null;
}

function byLeaseStart(a: LedgerIdentity, b: LedgerIdentity): number {
  return compareText(a.lease?.since ?? '', b.lease?.since ?? '') || compareText(a.name, b.name);
}

function factsOf(identity: LedgerIdentity): PlannedFacts {
  return { name: identity.name, email: identity.email, phone: identity.phone, uuid: identity.uuid };
}
