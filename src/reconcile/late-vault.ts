/**
 * A pass that gets new identities need not wait for the vault before it asks for them. The vault is found by
 * name in the identity listing (vault-secrets.ts): without a hint from an earlier run (a new state dir) its
 * secrets are asked for only once the listing has answered, a second round trip that every create and lease
 * waited for. The secrets go into env files only, and a create or a lease changes its worktree's env file with
 * or without them, so such a pass plans before the vault answers and its env steps wait for it instead.
 *
 * Exact, not a guess: a plan made before the answer (secrets keeping the values the files hold) is the plan made
 * after it whenever every env file the pass read is already to be written. The vault only decides whether an
 * env file changes: a write planned without its secrets is planned with them too (the other variables differ),
 * and a file planned for writing cannot be planned for more. Each write renders with the answer
 * (apply-env.ts), and the problems (a failed read, a missing secret) are those of the plan made after it.
 * When some file read is not yet to be written, the pass waits for the vault and plans as always. One difference
 * is left: a secret that no quoting can carry fails its env write here, where a pass that waited reports it as a
 * problem before writing; the file is left as it was either way, and the problem is reported either way.
 */
import type { Plan } from './actions.js';
import type { Observed } from './observed.js';

/** Whether `provisional`, planned with the vault not yet read, is the plan the vault's answer would give. */
export function canPlanBeforeVault(provisional: Plan, observed: Observed): boolean {
  const acquires = provisional.actions.some((action) => action.type === 'create-identity' || action.type === 'lease-identity');
  if (!acquires) return false; // nothing would start sooner
  const written = new Set<string>();
  for (const action of provisional.actions) if (action.type === 'write-env') written.add(action.key);
  for (const repo of observed.repos) {
    for (const worktree of repo.worktrees) {
      // A file not read (another worktree of a focused pass) or held back (vanished-files.ts) is not planned at all.
      if (!worktree.managed || worktree.key === null || worktree.env === null || worktree.settling === true) continue;
      if (!written.has(worktree.key)) return false;
    }
  }
  return true;
}
