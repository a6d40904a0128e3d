/** Planning for one managed worktree: its identity, its env file, its scoped key, its ignore rules. Pure. */
import type { RepoInventory } from '../git/types.js';
import type { Identity } from '../providers/types.js';
import type { LedgerEntry } from '../files/ledger.js';
import type { ObservedWorktree } from './observed.js';
import type { PlanContext } from './plan.js';
import { baseIdentityName, uniqueName } from './naming.js';
import { renderWorktreeEnv, type IdentityFacts } from './desired-env.js';

export const SCOPED_CONFIG_PATH = '.ravi/config.json';

export function planManagedWorktree(
  observed: ObservedWorktree,
  inventory: RepoInventory,
  context: PlanContext,
  excludePatterns: Set<string>,
): void {
  const { worktree } = observed;
  const key = observed.key as string;
  const target = { key, commonDir: inventory.commonDir, worktreePath: worktree.path };
  const problem = (message: string) => context.problems.push({ commonDir: inventory.commonDir, worktreePath: worktree.path, message });

  const facts = planIdentity(observed, inventory, context, problem);
  if (facts === null) return; // nothing can be written without an identity

  const writable = planIgnoreRules(observed, context, excludePatterns, problem);
  if (writable.env) planEnvFile(observed, inventory, facts, context, problem);
  if (writable.scoped && context.issuesScopedKeys) {
    const reason = scopedKeyReason(observed, facts.uuid);
    if (reason !== null) context.actions.push({ ...target, type: 'write-scoped-key', file: observed.scoped?.path ?? '', reason });
  }
}

interface PlannedFacts extends IdentityFacts {
  /** Null when the identity is created in this pass. */
  readonly uuid: string | null;
}

/** Ensures the worktree has (or will have) exactly one identity; returns what the env file needs. */
function planIdentity(
  observed: ObservedWorktree,
  inventory: RepoInventory,
  context: PlanContext,
  problem: (message: string) => void,
): PlannedFacts | null {
  const { worktree } = observed;
  const key = observed.key as string;
  const adminId = worktree.adminId as string;
  const target = { key, commonDir: inventory.commonDir, worktreePath: worktree.path };
  const entry = context.ledger.get(key);
  if (entry?.state === 'released') {
    if (context.reviveKey !== key) {
      context.notes.push({ commonDir: inventory.commonDir, message: `${worktree.path}: no identity (released by teardown; \`reconcile --worktree\` gives it one again)` });
      return null;
    }
    if (context.identities === null) {
      problem('its identity cannot be created until identities can be listed (see the error above)');
      return null;
    }
    context.takenNames.delete(entry.name); // its own old name is free again
    const name = chooseName(key, adminId, inventory, worktree.branch, context);
    if (name === null) return null;
    context.actions.push({ ...target, type: 'create-identity', adminId, name, branch: worktree.branch, recreate: false });
    return { name, email: null, phone: null, uuid: null };
  }
  if (context.identities === null) {
    if (entry?.state === 'active') return factsOf(entry);
    problem('its identity cannot be created until identities can be listed (see the error above)');
    return null;
  }
  const create = (name: string, recreate: boolean): PlannedFacts => {
    context.actions.push({ ...target, type: 'create-identity', adminId, name, branch: worktree.branch, recreate });
    return { name, email: null, phone: null, uuid: null };
  };
  if (entry === undefined) {
    const name = chooseName(key, adminId, inventory, worktree.branch, context);
    if (name === null) {
      problem('no free identity name: both the template name and its hashed variant are taken by other identities');
      return null;
    }
    return create(name, false);
  }
  if (entry.state === 'pending') {
    const found = oldestNamed(context.identities, entry.name);
    if (found === null) return create(entry.name, false);
    context.actions.push({ ...target, type: 'adopt-identity', identity: found });
    return { name: found.name, email: found.email, phone: found.phone, uuid: found.uuid };
  }
  const listed = context.identityByUuid.get(entry.uuid as string);
  if (listed === undefined) {
    if (context.deletionBlocked !== null) return factsOf(entry);
    return create(entry.name, true);
  }
  if (entry.worktreePath !== worktree.path || entry.branch !== worktree.branch || entry.email !== listed.email || entry.phone !== listed.phone) {
    context.actions.push({ ...target, type: 'update-entry', branch: worktree.branch, email: listed.email, phone: listed.phone });
  }
  if (entry.orphanedSince !== null) context.actions.push({ ...target, type: 'clear-orphan' });
  return { name: entry.name, email: listed.email, phone: listed.phone, uuid: listed.uuid };
}

function planEnvFile(
  observed: ObservedWorktree,
  inventory: RepoInventory,
  facts: PlannedFacts,
  context: PlanContext,
  problem: (message: string) => void,
): void {
  const env = observed.env;
  if (env === null) return;
  if (env.error !== null) return problem(env.error);
  let rendered;
  try {
    const worktreeFacts = { repoName: inventory.repoName, adminId: observed.worktree.adminId as string, branch: observed.worktree.branch };
    const result = renderWorktreeEnv(context.config.env, facts, worktreeFacts, context.vault, env.content);
    if (result.missingSecrets.length > 0) {
      problem(`the vault has no secret ${result.missingSecrets.join(', ')}; the env file is written without it`);
    }
    rendered = result.render;
  } catch (error) {
    return problem((error as Error).message);
  }
  if (!rendered.changed && facts.uuid !== null) return;
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
  return {
    env: check(envFile, `/${envFile}`),
    scoped: context.issuesScopedKeys ? check(SCOPED_CONFIG_PATH, '/.ravi/') : false,
  };
}

function scopedKeyReason(observed: ObservedWorktree, uuid: string | null): string | null {
  const scoped = observed.scoped;
  if (uuid === null || scoped === null || !scoped.exists) return 'mint a key scoped to this identity';
  if (scoped.malformed) return 'the file is not valid JSON';
  if (scoped.hasManagementKey) return 'it holds an account-wide management key; replace it with a scoped key';
  if (scoped.identityUuid !== uuid || !scoped.hasIdentityKey) return 'it is not scoped to this identity';
  return null;
}

function chooseName(key: string, adminId: string, inventory: RepoInventory, branch: string | null, context: PlanContext): string | null {
  const base = baseIdentityName({ template: context.config.identity.name, repoName: inventory.repoName, adminId, branch });
  for (const candidate of [base, uniqueName(base, key)]) {
    if (!context.takenNames.has(candidate)) {
      context.takenNames.add(candidate);
      return candidate;
    }
  }
  return null;
}

/** After a crash, adopt by exact name; if several match, the oldest (the one created first). */
export function oldestNamed(identities: readonly Identity[], name: string): Identity | null {
  const matches = identities.filter((i) => i.name === name);
  matches.sort((a, b) => (a.createdAt ?? '').localeCompare(b.createdAt ?? '') || a.uuid.localeCompare(b.uuid));
  return matches[0] ?? null;
}

function factsOf(entry: LedgerEntry): PlannedFacts {
  return { name: entry.name, email: entry.email, phone: entry.phone, uuid: entry.uuid };
}
